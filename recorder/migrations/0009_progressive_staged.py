from django.db import migrations, models


class Migration(migrations.Migration):
    """Staged payload parts for names with {Duration}: the final key announced before the file
    is finished (file_named) and the part copies made into it."""

    dependencies = [
        ("recorder", "0008_progressive_direct"),
    ]

    operations = [
        migrations.AddField(
            model_name="progressiveupload",
            name="final_key",
            field=models.CharField(blank=True, max_length=1024),
        ),
        migrations.AddField(
            model_name="progressiveupload",
            name="copied",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]

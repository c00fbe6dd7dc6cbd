from django.db import migrations, models


class Migration(migrations.Migration):
    """Progressive uploads straight to the final key when it is known at open, part samples
    for the final check, and the UploadId of a multipart server-side copy."""

    dependencies = [
        ("recorder", "0007_progressive"),
    ]

    operations = [
        migrations.RenameField(model_name="progressiveupload", old_name="temp_key", new_name="multipart_key"),
        migrations.AddField(
            model_name="progressiveupload",
            name="direct",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="progressiveupload",
            name="part_samples",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="progressiveupload",
            name="copy_upload_id",
            field=models.CharField(blank=True, max_length=1024),
        ),
    ]

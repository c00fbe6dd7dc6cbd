"""Layout templates: resource fields are snake_case; ``layout`` is the OpenAPI Layout object."""

from __future__ import annotations

from rest_framework import serializers

from recorder.api.serializers.fields import StrictCharField
from recorder.models import LayoutTemplate
from recorder.models.layouts import LAYOUT_TEMPLATE_DESCRIPTION_MAX_LENGTH, LAYOUT_TEMPLATE_NAME_MAX_LENGTH
from recorder.services.layout_templates import JsonObject, TemplateChange, canonical_layout
from recorder.validation.values import has_control_characters

LAYOUT_HELP = (
    "The OpenAPI Layout object, exactly as StartRecord takes it (stored and returned in its"
    " canonical form: every default written out). Errors inside it name the field in OpenAPI"
    " spelling, e.g. Layout.CustomLayout.Regions[2].Alpha."
)


class LayoutTemplateSerializer(serializers.ModelSerializer[LayoutTemplate]):
    layout = serializers.JSONField(help_text=LAYOUT_HELP)

    class Meta:
        model = LayoutTemplate
        fields = ["id", "name", "description", "layout", "created_at", "updated_at"]
        read_only_fields = fields


class LayoutTemplateChangeSerializer(serializers.Serializer[TemplateChange]):
    """Create (POST, also the import), replace (PUT) or change (PATCH, ``partial``)."""

    name = StrictCharField(
        max_length=LAYOUT_TEMPLATE_NAME_MAX_LENGTH,
        help_text="Unique within the app, 1 to 100 characters; StartRecord's LayoutTemplate may name it.",
    )
    description = StrictCharField(
        required=False, allow_blank=True, max_length=LAYOUT_TEMPLATE_DESCRIPTION_MAX_LENGTH
    )
    layout = serializers.JSONField(help_text=LAYOUT_HELP)

    def validate_name(self, value: str) -> str:
        if has_control_characters(value):
            raise serializers.ValidationError("must not contain control characters")
        return value

    def validate_layout(self, value: object) -> JsonObject:
        return canonical_layout(value)  # a SpecError names the field inside the Layout

    def change(self) -> TemplateChange:
        data = self.validated_data
        description = data.get("description")
        if description is None and not self.partial:
            description = ""  # PUT replaces the whole resource
        return TemplateChange(name=data.get("name"), description=description, layout=data.get("layout"))

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from recorder.api.pagination import Page
from recorder.api.serializers.apps import AppSerializer
from recorder.api.tenancy import apps_for
from recorder.api.views.base import JsonApi
from recorder.models import App


@extend_schema(tags=["apps"], summary="The AppIds these credentials may act for")
class AppListView(JsonApi, generics.ListAPIView[App]):
    serializer_class = AppSerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[App]:
        return apps_for(self.request).order_by("app_id")

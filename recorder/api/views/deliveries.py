"""Callback deliveries (SPEC §10): the log per AppId and per task, and the manual re-send.

Anyone allowed the AppId (a member's session or an access key allowed it) may read and re-send:
a re-send changes no configuration, it posts an event the receiver was already owed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recorder.api.pagination import Page
from recorder.api.serializers.deliveries import (
    CallbackDeliveryDetailSerializer,
    CallbackDeliverySerializer,
    DeliveryFilterSerializer,
)
from recorder.api.serializers.errors import ErrorSerializer
from recorder.api.tenancy import app_for, task_for
from recorder.api.views.base import JsonApi
from recorder.errors import NOT_FOUND, ApiError
from recorder.models import CallbackDelivery, DeliveryState, RecordTask
from recorder.services import deliveries

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 404: ErrorSerializer}
EVENT_ID = OpenApiParameter("event_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The EventId.")
PUBLIC_ID = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The task's id."
)


class AppDeliveryListView(JsonApi, generics.ListAPIView[CallbackDelivery]):
    serializer_class = CallbackDeliverySerializer
    pagination_class = Page

    @extend_schema(
        tags=["callbacks"],
        summary="The app's callbacks, newest first",
        parameters=[DeliveryFilterSerializer],
        responses={200: CallbackDeliverySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[CallbackDelivery]:
        app = app_for(self.request, self.kwargs["app_id"])
        query = DeliveryFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        task = None
        if "task" in wanted:
            task = RecordTask.objects.filter(app=app, public_id=wanted["task"]).first()
            if task is None:
                raise ApiError(NOT_FOUND, f"no task {wanted['task']} in AppId {app.app_id!r}", field="task")
        state = DeliveryState(wanted["state"]) if "state" in wanted else None
        chosen = deliveries.DeliveryFilter(task=task, state=state, event_type=wanted.get("event_type"))
        return deliveries.deliveries_of(app, chosen)


class TaskDeliveryListView(JsonApi, generics.ListAPIView[CallbackDelivery]):
    serializer_class = CallbackDeliverySerializer
    pagination_class = Page

    @extend_schema(
        tags=["callbacks"],
        summary="The task's callbacks, newest first",
        parameters=[PUBLIC_ID],
        responses={200: CallbackDeliverySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[CallbackDelivery]:
        task = task_for(self.request, self.kwargs["public_id"])
        return deliveries.deliveries_of(task.app, deliveries.DeliveryFilter(task=task))


class DeliveryDetailView(JsonApi, APIView):
    @extend_schema(
        tags=["callbacks"],
        summary="One callback with every attempt and the receiver's answers",
        parameters=[EVENT_ID],
        responses={200: CallbackDeliveryDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, app_id: str, event_id: str) -> Response:
        delivery = deliveries.delivery_of(app_for(request, app_id), event_id)
        return Response(CallbackDeliveryDetailSerializer(delivery).data)


class DeliveryResendView(JsonApi, APIView):
    @extend_schema(
        tags=["callbacks"],
        summary="Send a callback again: same EventId, posted by the delivery worker shortly after",
        parameters=[EVENT_ID],
        request=None,
        responses={202: CallbackDeliveryDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, app_id: str, event_id: str) -> Response:
        delivery = deliveries.resend_delivery(app_for(request, app_id), event_id)
        return Response(CallbackDeliveryDetailSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

"""Recording tasks: list and start per app; read, update, stop and follow one task."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recorder.api.pagination import Page
from recorder.api.serializers.errors import ErrorSerializer
from recorder.api.serializers.tasks import (
    EventsQuerySerializer,
    StartRecordBodySerializer,
    TaskEventPageSerializer,
    TaskEventSerializer,
    TaskFilterSerializer,
    TaskSerializer,
    TaskStartedSerializer,
    UpdateRecordBodySerializer,
)
from recorder.api.tenancy import app_for, task_for
from recorder.api.views.base import JsonApi, json_object_body
from recorder.errors import ACTIVE_TASK_NOT_FOUND, INVALID_PARAMETER, ApiError, api_error_from_spec
from recorder.models import RecordTask
from recorder.services import layout_templates, task_queries, tasks
from recorder.validation import SpecError, parse_update_record

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 404: ErrorSerializer}
PUBLIC_ID = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The task's id."
)


class AppTaskListView(JsonApi, generics.ListAPIView[RecordTask]):
    serializer_class = TaskSerializer
    pagination_class = Page

    @extend_schema(
        tags=["tasks"],
        summary="The app's tasks, newest first",
        parameters=[TaskFilterSerializer],
        responses={200: TaskSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[RecordTask]:
        app = app_for(self.request, self.kwargs["app_id"])
        query = TaskFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return task_queries.tasks_of(app, task_queries.TaskFilter(**query.validated_data))

    @extend_schema(
        tags=["tasks"],
        summary="Start a recording (the StartRecord body)",
        request=StartRecordBodySerializer,
        responses={
            201: TaskSerializer,
            200: OpenApiResponse(TaskStartedSerializer, description="The same task was already running."),
            **ERRORS,
        },
    )
    def post(self, request: Request, app_id: str) -> Response:
        app = app_for(request, app_id)
        body = layout_templates.with_template_layout(app, json_object_body(request))
        sent_app_id = body.get("AppId")
        if sent_app_id not in (None, "", app.app_id):
            raise ApiError(
                INVALID_PARAMETER, "AppId: must be the app_id of the URL, or omitted", field="AppId"
            )
        outcome = tasks.start_task(app, tasks.parse_or_raise({**body, "AppId": app.app_id}))
        data = TaskSerializer(outcome.task).data
        if outcome.already_running:
            return Response({**data, "message": tasks.REPEATED_START_MESSAGE}, status=status.HTTP_200_OK)
        return Response(data, status=status.HTTP_201_CREATED)


class TaskDetailView(JsonApi, APIView):
    @extend_schema(
        tags=["tasks"], summary="One task", parameters=[PUBLIC_ID], responses={200: TaskSerializer, **ERRORS}
    )
    def get(self, request: Request, public_id: str) -> Response:
        return Response(TaskSerializer(task_for(request, public_id)).data)


class TaskUpdateView(JsonApi, APIView):
    @extend_schema(
        tags=["tasks"],
        summary="Change the layout or target streams of a running mixed task (UpdateRecord)",
        parameters=[PUBLIC_ID],
        request=UpdateRecordBodySerializer,
        responses={200: TaskSerializer, **ERRORS},
    )
    def post(self, request: Request, public_id: str) -> Response:
        task = _active(task_for(request, public_id))
        body = json_object_body(request)
        identity = {"AppId": task.app.app_id, "RoomId": task.room_id, "TaskId": task.task_id}
        for name, value in identity.items():
            if body.get(name) not in (None, "", value):
                raise ApiError(INVALID_PARAMETER, f"{name}: must be the task's own, or omitted", field=name)
        try:
            update = parse_update_record({**body, **identity})
        except SpecError as error:
            raise api_error_from_spec(error) from None
        return Response(TaskSerializer(tasks.update_task(task.app, update)).data)


class TaskStopView(JsonApi, APIView):
    @extend_schema(
        tags=["tasks"],
        summary="Stop a task; files are finalised and uploaded after this returns",
        parameters=[PUBLIC_ID],
        request=None,
        responses={200: TaskSerializer, **ERRORS},
    )
    def post(self, request: Request, public_id: str) -> Response:
        task = _active(task_for(request, public_id))
        return Response(TaskSerializer(tasks.stop_task(task.app, task.room_id, task.task_id)).data)


class TaskEventsView(JsonApi, APIView):
    @extend_schema(
        tags=["tasks"],
        summary="Persisted events after a sequence number (to catch up after a reconnect)",
        parameters=[PUBLIC_ID, EventsQuerySerializer],
        responses={200: TaskEventPageSerializer, **ERRORS},
    )
    def get(self, request: Request, public_id: str) -> Response:
        task = task_for(request, public_id)
        query = EventsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        events = task_queries.events_after(task, query.validated_data["after"], limit)
        next_url = None
        if len(events) == limit:
            next_url = request.build_absolute_uri(f"?after={events[-1].seq}&limit={limit}")
        return Response(
            {
                "results": TaskEventSerializer(events, many=True).data,
                "last_event_seq": task.last_event_seq,
                "next": next_url,
            }
        )


def _active(task: RecordTask) -> RecordTask:
    # The OpenAPI's update and stop act on the *active* task of an identity; through a resource
    # URL they act on this task only, so an ended one is refused instead of reaching a newer one.
    if not task.is_active:
        raise ApiError(
            ACTIVE_TASK_NOT_FOUND, f"task {task.public_id} has ended; it cannot be changed", field="public_id"
        )
    return task

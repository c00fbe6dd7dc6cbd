"""Rooms and stream publication (SPEC §5)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recorder.api.pagination import Page
from recorder.api.serializers.errors import ErrorSerializer
from recorder.api.serializers.rooms import (
    PublishSerializer,
    RoomSerializer,
    StreamListQuerySerializer,
    StreamSerializer,
    UnpublishQuerySerializer,
)
from recorder.api.tenancy import app_for
from recorder.api.views.base import JsonApi
from recorder.models import Room, Stream
from recorder.services import rooms

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 404: ErrorSerializer}


@extend_schema(tags=["rooms"], summary="Rooms of the app (a room exists once something was published in it)")
class RoomListView(JsonApi, generics.ListAPIView[Room]):
    serializer_class = RoomSerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[Room]:
        return rooms.rooms_of(app_for(self.request, self.kwargs["app_id"]))


class StreamListView(JsonApi, generics.ListAPIView[Stream]):
    serializer_class = StreamSerializer
    pagination_class = Page

    @extend_schema(
        tags=["rooms"],
        summary="Streams of a room in publish order (an unknown room has none)",
        parameters=[StreamListQuerySerializer],
        responses={200: StreamSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Stream]:
        app = app_for(self.request, self.kwargs["app_id"])
        query = StreamListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return rooms.streams_of(app, self.kwargs["room_id"], include_unpublished=query.validated_data["all"])

    @extend_schema(
        tags=["rooms"],
        summary="Publish a stream into the room from a URL or the synthetic source",
        request=PublishSerializer,
        responses={201: StreamSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, app_id: str, room_id: str) -> Response:
        app = app_for(request, app_id)
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        stream = rooms.publish(app, room_id, body.publication())
        return Response(StreamSerializer(stream).data, status=status.HTTP_201_CREATED)


class StreamDetailView(JsonApi, APIView):
    @extend_schema(
        tags=["rooms"],
        summary="Unpublish a stream",
        parameters=[UnpublishQuerySerializer],
        request=None,
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, app_id: str, room_id: str, user_id: str) -> Response:
        app = app_for(request, app_id)
        query = UnpublishQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rooms.unpublish(app, room_id, user_id, query.validated_data["StreamType"])
        return Response(status=status.HTTP_204_NO_CONTENT)

"""The recorder's data model; one module per concern, all re-exported here."""

from recorder.models.accounts import Account, App, Membership, MembershipRole
from recorder.models.callbacks import CallbackConfig
from recorder.models.keys import AccessKey
from recorder.models.layouts import LayoutTemplate
from recorder.models.leases import TaskLease, Worker
from recorder.models.outbox import CallbackAttempt, CallbackDelivery, DeliveryState
from recorder.models.progressive import ProgressiveState, ProgressiveUpload
from recorder.models.rooms import Room, Stream, StreamState
from recorder.models.tasks import RecordFile, RecordTask, StopReason, TaskEvent, TaskState
from recorder.models.uploads import Upload, UploadDestination, UploadKind, UploadState

__all__ = [
    "AccessKey",
    "Account",
    "App",
    "CallbackAttempt",
    "CallbackConfig",
    "CallbackDelivery",
    "DeliveryState",
    "LayoutTemplate",
    "Membership",
    "MembershipRole",
    "ProgressiveState",
    "ProgressiveUpload",
    "RecordFile",
    "RecordTask",
    "Room",
    "StopReason",
    "Stream",
    "StreamState",
    "TaskEvent",
    "TaskLease",
    "TaskState",
    "Upload",
    "UploadDestination",
    "UploadKind",
    "UploadState",
    "Worker",
]

"""Recorder workers (Celery mode) and the lease each running task is held by.

A worker registers itself with its capacity and heartbeats; a task a worker runs has a lease
that the worker renews. An expired lease means the worker is gone: the reaper queues the task
again (a new file part on another worker) or ends it with WorkerLost (docs/deployment.md).
"""

from __future__ import annotations

from django.db import models

from recorder.models.tasks import RecordTask


class Worker(models.Model):
    name = models.CharField(max_length=200, unique=True)  # host:pid:random, unique per process
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    # Estimated CPU cores of real-time recording it takes (recorder.dispatch.admission).
    capacity = models.FloatField()
    draining = models.BooleanField(default=False)  # shutting down: takes no new work
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskLease(models.Model):
    """Which worker runs the task, until when, and how many times it was claimed."""

    task = models.OneToOneField(RecordTask, on_delete=models.CASCADE, primary_key=True, related_name="lease")
    worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="leases"
    )
    attempt = models.PositiveIntegerField(default=0)  # claims so far, handovers included
    resumes = models.PositiveIntegerField(default=0)  # times the reaper queued it again (worker lost)
    cost = models.FloatField(default=0.0)  # estimated cores, counted against the worker's capacity
    claimed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # null: not held by anyone

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="lease_expiry")]

    def __str__(self) -> str:
        return f"lease of task {self.task_id} (attempt {self.attempt})"

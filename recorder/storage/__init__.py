"""Storage and upload on the Django side (SPEC §9, docs/storage.md).

- ``destinations.py``: a task's primary storage (its StorageConfig, or the operator's profile
  for Type 0/1) and the backup storage; both as ``S3Target`` or the local media library.
- ``stores.py``: one interface over both kinds for the worker (put a file, put bytes).
- ``queue.py``: the durable queue (``Upload`` rows): enqueue what the recorder reports, claim
  due rows with a lease, arm HLS playlists when their segments land.
- ``work.py``: one row's transfer: events, verification, deleting the local copy, retries
  with backoff, permanent failures, the backup copy.
- ``settle.py``: task state stopping -> uploading -> completed.
- ``service.py``: ``UploadService``, the thread pool that works this machine's queue (started
  by ``manage.py serve`` next to the dispatcher; a Celery worker can run the same service).
"""

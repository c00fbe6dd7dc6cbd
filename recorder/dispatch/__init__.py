"""Running recordings: claim queued tasks, run one recorder process per task, persist what it
reports, and forward control (update, stop, room events) to it.

``core`` is what every dispatcher does with its recordings (``process``, ``journal``,
``persist``, ``control``, ``fence``); ``local`` runs inside the server process (the embedded,
one-machine mode); ``worker`` runs in Celery recorder workers (``celery_app``) with admission
by cost and leases (``admission``, ``leases``, ``worker_locks``) - docs/deployment.md.
"""

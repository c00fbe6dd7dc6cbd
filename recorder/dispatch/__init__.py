"""Running recordings: claim queued tasks, run one recorder process per task, persist what it
reports, and forward control (update, stop, room events) to it.

``local`` runs inside the server process (the embedded, one-machine mode); the scale-out
dispatcher reuses ``process``, ``persist`` and ``control`` unchanged.
"""

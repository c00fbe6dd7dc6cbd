"""Signed callbacks (SPEC §10) through a durable outbox.

- ``mapping``: which task events become which callbacks, and their EventData.
- ``enqueue``: writes the outbox rows inside the transaction of the task event (the one hook
  in ``recorder.lifecycle``), so a callback is never lost and never disagrees with GetRecordTask.
- ``envelope``: the POSTed JSON and its signature.
- ``post``: one HTTP POST with a hard deadline, no redirects, a capped answer.
- ``attempts``: one attempt of one delivery, and how its outcome is written back.
- ``worker``: claims due rows and posts them from a small thread pool (``manage.py serve`` and
  ``manage.py deliver_callbacks``).
- ``resend``: a manual re-send puts a delivery back in the outbox.

docs/callbacks.md describes the contract and the decisions.
"""

"""The uploader: puts finished files into S3-compatible object storage (SPEC §9).

Django-free like the rest of the media engine. The durable queue that decides *what* to put
and when to retry lives on the Django side (``recorder.storage``); this package does one
transfer at a time and says how it went:

- ``regions.py``: ``StorageConfig.CustomConfig`` Vendor + Region integer -> endpoint, and
  ``resolve_custom`` -> ``S3Target``.
- ``profiles.py``: operator-configured storage profiles (Type 0 / 1 and the backup), parsed
  from one URL each.
- ``target.py``: ``S3Target``: where objects go, with credentials that never print.
- ``client.py``: a boto3 client with this project's retry/timeout/checksum choices.
- ``transfer.py``: single and multipart puts (parallel parts, resumable from a persisted
  UploadId), verification of size and ETag, server-side copy.
- ``errors.py``: transient vs permanent failures, messages scrubbed of credentials.
- ``playlist.py``: the part of an HLS playlist whose segments are already stored.
"""

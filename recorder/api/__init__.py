"""The resource-style REST API under ``/api/v1/`` (SPEC §1, §5); see docs/rest-api.md.

``authentication`` (signature, Basic AK:SK; sessions come from DRF), ``tenancy`` (what a
request may reach), ``errors`` (the one exception handler), ``serializers/`` (request and
response shapes), ``views/`` (thin: they call ``recorder.services``), ``urls``.
"""

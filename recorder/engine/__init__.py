"""The media engine: layout geometry, compositor, and (later) sources, mixer, encoders, muxers.

It imports nothing from Django (a test checks): it takes a frozen, validated spec
(``recorder.engine.spec``) and reports events, one recording per OS process.
"""

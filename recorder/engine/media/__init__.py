"""The recording pipeline: sources, alignment, compositing, the audio mix and the run loop.

``Recording`` (``recorder.engine.media.recording``) is the entry point: it takes a frozen
``RecordSpec``, the room's published streams and an ``OutputFactory`` and runs until a stop
reason. ``docs/recorder.md`` describes the timing model and the threading model.
"""

"""The recording loop and its two producers: mixed (RecordMode 0) and single-stream (1)."""

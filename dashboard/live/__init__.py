"""Live monitoring: the WebSocket consumer that streams task and room events to the dashboard.

``docs/dashboard.md`` documents the protocol. Modules: ``layer`` (the in-memory channel layer,
safe across threads), ``protocol`` (frames and the subscribe message), ``history`` (database
reads: visibility, replay, gap filling), ``sequencer`` (exactly-once, in-order delivery per
task), ``consumer`` (the Channels consumer), ``access`` (telling sockets that visibility changed).
"""

"""Readers of live-track feeds: text in, `PositionReport`s out, bad input counted.

- `merge`: partial messages of one aircraft merged into complete reports.
- `sbs`: SBS/BaseStation text lines (dump1090/readsb port 30003).
- `recording`: recorded tracks in CSV (optionally gzipped), streamed in time order.

Pure: no sockets or threads here. A reader never raises on bad content; it counts the
reason in its `IngestStats` and goes on (a receiver that garbles one line in a thousand
must not blind the watch).
"""

"""Prometheus metrics of real-time delivery (served on /metrics from the default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

STREAMS_OPEN = Gauge(
    "godkend_event_streams_open", "Event streams open on this instance", ["transport"]
)
EVENTS_DELIVERED = Counter(
    "godkend_events_delivered_total", "Events handed to a client connection", ["transport"]
)
DELIVERY_LATENCY = Histogram(
    "godkend_event_delivery_latency_seconds",
    "From the event's insert (in the committing transaction) to its hand-off to a live client",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
LISTENER_RECONNECTS = Counter(
    "godkend_listener_reconnects_total",
    "Times the outbox listener lost and reopened its connection",
)
LISTENER_CONNECTED = Gauge("godkend_listener_connected", "1 while the outbox listener is connected")
RESETS_SENT = Counter(
    "godkend_event_resets_sent_total", "system.reset events sent to clients", ["reason"]
)
HORIZON_STALL = Gauge(
    "godkend_outbox_horizon_stall_seconds",
    "Age of the oldest committed event an older, still-running transaction holds back",
)
OUTBOX_EVENTS_READ = Counter("godkend_outbox_events_read_total", "Events the listener read")
BAD_EVENTS = Counter("godkend_outbox_bad_events_total", "Outbox rows that could not be encoded")
WAKEUPS_SENT = Counter("godkend_wakeups_sent_total", "NOTIFYs the notifier sent")
EVENTS_PRUNED = Counter("godkend_events_pruned_total", "Outbox events deleted by retention")

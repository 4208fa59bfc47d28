"""Prometheus metrics (prometheus-client), one registry per process. Names carry no personal
data and no per-user labels (cardinality stays small): only event kinds and results."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "cebot_updates_total",
    "Telegram updates handled, by kind (text, button, command, file) and result.",
    ["kind", "result"],
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "cebot_update_seconds",
    "Time from receiving an update to the last reply sent.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SENDS = Counter(
    "cebot_outbox_sends_total",
    "Outbox messages by result (sent, retry_later, unreachable, transient, permanent).",
    ["result"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "cebot_outbox_queued",
    "Outbox rows waiting to be sent (read from the database at scrape time).",
    registry=REGISTRY,
)
WEBHOOK_REQUESTS = Counter(
    "cebot_webhook_requests_total",
    "Webhook requests by outcome (queued, duplicate, forbidden, bad_request).",
    ["outcome"],
    registry=REGISTRY,
)

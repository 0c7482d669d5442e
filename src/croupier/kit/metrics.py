"""Prometheus metrics: HTTP traffic by route template, plus domain counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "croupier_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "croupier_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
SIGN_INS = Counter(
    "croupier_sign_ins_total",
    "Sign-in attempts by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
REGISTRATIONS = Counter(
    "croupier_registrations_total", "Player registrations by outcome.", ["outcome"], registry=REGISTRY
)
MFA_VERIFICATIONS = Counter(
    "croupier_mfa_verifications_total",
    "Second-factor checks by method and outcome.",
    ["method", "outcome"],
    registry=REGISTRY,
)
AUDIT_EVENTS = Counter(
    "croupier_audit_events_total", "Audit entries written by action.", ["action"], registry=REGISTRY
)
MAIL_SENT = Counter(
    "croupier_mail_sent_total", "Mail handed to the mail adapter by outcome.", ["outcome"], registry=REGISTRY
)
PAYMENT_WEBHOOKS = Counter(
    "croupier_payment_webhooks_total",
    "Payment-provider webhook events by type and outcome (duplicates counted under type 'any').",
    ["type", "outcome"],
    registry=REGISTRY,
)
PAYMENT_SUBMISSIONS = Counter(
    "croupier_payment_submissions_total",
    "Payouts and refunds handed to the provider, by kind and outcome.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
DATABASE_BUSY = Counter(
    "croupier_database_busy_total",
    "Requests answered 503 database_busy: no database connection came free within the pool timeout.",
    registry=REGISTRY,
)
TRANSACTION_RETRIES = Counter(
    "croupier_transaction_retries_total",
    "Requests run again after PostgreSQL aborted their transaction (deadlock or serialization).",
    registry=REGISTRY,
)
EVENTS_HANDLED = Counter(
    "croupier_events_handled_total",
    "Domain events delivered to a consumer, by consumer and outcome (processed, failed, duplicate).",
    ["consumer", "outcome"],
    registry=REGISTRY,
)
EVENT_CONSUMER_LAG_EVENTS = Gauge(
    "croupier_event_consumer_lag_events",
    "Domain events a consumer has not processed yet.",
    ["consumer"],
    # Every process samples the same figure from the database; the live ones agree.
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
EVENT_CONSUMER_LAG_SECONDS = Gauge(
    "croupier_event_consumer_lag_seconds",
    "Age of the oldest domain event a consumer has not processed yet (0 when it is caught up).",
    ["consumer"],
    # Every process samples the same figure from the database; the live ones agree.
    multiprocess_mode="livemax",
    registry=REGISTRY,
)

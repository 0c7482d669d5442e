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

# ---------------------------------------------------------------- money in play
# Counted after the transaction commits (``kit.counting``), never by a query: the bet path stays
# as cheap as it was. GGR per currency is stakes minus payouts minus returned stakes, in PromQL.
BETS = Counter(
    "croupier_bets_total",
    "Bets accepted, by source (games: in-house rounds; hub88: the seamless wallet) and currency.",
    ["source", "currency"],
    registry=REGISTRY,
)
STAKES = Counter(
    "croupier_bet_stakes_minor_total",
    "Stakes of settled in-house rounds and accepted Hub88 bets, in minor units of the currency.",
    ["source", "currency"],
    registry=REGISTRY,
)
PAYOUTS = Counter(
    "croupier_bet_payouts_minor_total",
    "Payouts (wins) to players, in minor units of the currency.",
    ["source", "currency"],
    registry=REGISTRY,
)
STAKES_RETURNED = Counter(
    "croupier_bet_stakes_returned_minor_total",
    "Stakes given back by rolled-back bets (Hub88), in minor units of the currency.",
    ["source", "currency"],
    registry=REGISTRY,
)
LEDGER_TRANSFERS = Counter(
    "croupier_ledger_transfers_total",
    "Ledger transfers posted, by kind (round, bet, win, deposit, withdrawal, ...).",
    ["kind"],
    registry=REGISTRY,
)

# ---------------------------------------------------------------- the database pools
DATABASE_POOL_IN_USE = Gauge(
    "croupier_database_pool_connections_in_use",
    "Connections checked out of a pool (main, autonomous), sampled periodically.",
    ["pool"],
    # Each process has its own pools: the connections the service holds are the sum.
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
DATABASE_POOL_LIMIT = Gauge(
    "croupier_database_pool_connections_limit",
    "Connections a pool may open at most (pool size plus overflow).",
    ["pool"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
DATABASE_POOL_WAITING = Gauge(
    "croupier_database_pool_waiting",
    "Callers waiting for a connection from a pool right now.",
    ["pool"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
DATABASE_POOL_WAIT = Histogram(
    "croupier_database_pool_wait_seconds",
    "Time taken to get a connection from a pool (pre-ping excluded).",
    ["pool"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)

# ---------------------------------------------------------------- sampled from the database
# Every process samples the same figures (``croupier.monitoring``); the live ones agree, so the
# largest is taken. A figure nobody could sample yet is absent rather than a misleading zero.
REPLICATION_LAG = Gauge(
    "croupier_database_replication_lag_seconds",
    "Replication lag: on a primary the slowest standby's replay lag (role=primary); on a standby"
    " the age of the last replayed transaction (role=replica). Absent without replication.",
    ["role"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
MAIL_OUTBOX_LAG = Gauge(
    "croupier_mail_outbox_lag_seconds",
    "Age of the oldest message waiting in the mail outbox (0 when it is empty).",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
MAIL_OUTBOX_GIVEN_UP = Gauge(
    "croupier_mail_outbox_given_up",
    "Messages the mail relay gave up on after its last attempt.",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
PAYMENT_WEBHOOK_LAG = Gauge(
    "croupier_payment_webhook_lag_seconds",
    "Age of the oldest payment (deposit, payout, refund) waiting for the provider's webhook"
    " (0 when none waits).",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
JOBS_FAILED = Gauge(
    "croupier_jobs_failed",
    "Background jobs (procrastinate) that failed for good and are kept for an operator, by task.",
    ["task"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
CHECK_OK = Gauge(
    "croupier_check_ok",
    "Result of the last run of a periodic check (books, audit_chain): 1 passed, 0 failed.",
    ["check"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
CHECK_LAST_SUCCESS = Gauge(
    "croupier_check_last_success_timestamp_seconds",
    "When a periodic check last passed (Unix time; 0 when it never has).",
    ["check"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
CHECK_LAST_RUN = Gauge(
    "croupier_check_last_run_timestamp_seconds",
    "When a periodic check last ran, whatever its result (Unix time).",
    ["check"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
SAMPLED_AT = Gauge(
    "croupier_monitoring_sampled_timestamp_seconds",
    "When this service last sampled the figures above from the database (Unix time).",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
TLS_CERTIFICATE_EXPIRY = Gauge(
    "croupier_tls_certificate_expiry_timestamp_seconds",
    "notAfter of the certificate in CROUPIER_TLS_CERTFILE (Unix time), read when the process starts.",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)

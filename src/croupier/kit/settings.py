"""One typed settings object, read from ``CROUPIER_*`` environment variables."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# OWASP ASVS 5.0 appendix C / OWASP password storage: argon2id with at least
# 19 MiB of memory and two passes. Croupier refuses to be configured below it.
ARGON2_MIN_MEMORY_KIB = 19_456
ARGON2_MIN_TIME_COST = 2


# The actions risk.decide() answers for (risk.rules.Action.ALL; kit may not import risk).
RISK_ACTIONS = ("sign_in", "registration", "deposit", "withdrawal", "bet")
# KYC levels in rising order (compliance.kyc.models.KycLevel; kit may not import compliance).
KycLevelName = Literal["none", "basic", "full", "enhanced"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROUPIER_", extra="ignore")

    environment: Literal["development", "production", "test"] = Field(
        "development", description="Production refuses generated keys and an embedded database."
    )
    data_dir: Path = Field(
        Path(".croupier"),
        description="Embedded PostgreSQL, development keys and the development mailbox live here.",
    )
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL >= 14 (postgresql://...). Unset: an embedded server in data_dir.",
    )
    database_pool_size: int = Field(
        10, ge=1, le=200, description="Connections each process keeps open for requests and jobs."
    )
    database_max_overflow: int = Field(
        10, ge=0, le=200, description="Extra connections opened under load beyond the pool size."
    )
    database_pool_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="How long a request waits for a free connection before answering 503 database_busy"
        " (with Retry-After) instead of queueing on.",
    )

    backup_dir: Path | None = Field(
        None,
        description="Base backups and archived WAL (croupier backup); unset: data_dir/backups."
        " Keep it on other storage than the database.",
    )
    pg_bin: Path | None = Field(
        None,
        description="The PostgreSQL bin folder (pg_basebackup, pg_ctl...) backups and drills use;"
        " unset: the embedded mode's, else pg_config's. Same major version as the server.",
    )

    keyring_file: Path | None = Field(
        None, description="JSON keyring (KEK versions and blind-index key). See README."
    )
    keyring: SecretStr | None = Field(
        None, description="The same JSON keyring given inline, for secret stores that inject env."
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    tls_certfile: Path | None = Field(
        None,
        description="Serve HTTPS with this certificate chain (PEM): TLS 1.2 at least, 1.3 preferred,"
        " only forward-secret AEAD suites. Read once at start: a new certificate needs a restart.",
    )
    tls_keyfile: Path | None = Field(None, description="The private key of tls_certfile (PEM).")
    tls_client_ca: Path | None = Field(
        None,
        description="Ask TLS clients for a certificate signed by this authority (PEM). A certificate"
        " offered and not signed by it fails the handshake; none offered is allowed unless required.",
    )
    tls_client_cert_required: bool = Field(
        False,
        description="Answer 403 client_certificate_required on the provider paths (/providers/...,"
        " /v1/webhooks/...) to a connection without a certificate from tls_client_ca.",
    )
    shutdown_drain_seconds: float = Field(
        5.0,
        ge=0,
        le=600,
        description="On SIGTERM, answer /readyz 503 shutting_down for this long, still serving every"
        " request, so that load balancers stop sending new ones; then stop.",
    )
    shutdown_timeout_seconds: int = Field(
        30,
        gt=0,
        le=3600,
        description="After the drain, how long in-flight requests may take before they are cancelled"
        " (background work then gets its own short grace).",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        description="Export one span per request over OTLP/HTTP to this collector (its base URL, e.g."
        " http://collector:4318); the standard OTEL_EXPORTER_OTLP_ENDPOINT is read too. Needs the"
        " otel extra. Unset: trace context still reaches the logs and providers, nothing is exported.",
    )
    trusted_proxies: str = Field(
        "127.0.0.1",
        description="Comma-separated addresses whose X-Forwarded-For is believed.",
    )
    max_body_bytes: int = Field(65_536, ge=1024)
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Serve Prometheus metrics on this port of metrics_host, apart from the API.",
    )
    metrics_host: str = Field(
        "127.0.0.1", description="Where the metrics port listens: loopback unless scraped from elsewhere."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Also serve /metrics on the API's port, to `Authorization: Bearer <token>` only."
        " Unset: the API's port has no /metrics.",
    )
    metrics_sample_seconds: float = Field(
        15.0,
        ge=1,
        le=600,
        description="How often each process samples the monitoring figures kept in the database (outbox"
        " and webhook lag, failed jobs, replication lag, check results) for /metrics.",
    )
    docs: bool = Field(
        True,
        description="`off` stops serving the API docs pages (/docs, /redoc) and the OpenAPI document"
        " (/openapi.json).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    argon2_memory_kib: int = Field(65_536, ge=ARGON2_MIN_MEMORY_KIB)
    argon2_time_cost: int = Field(3, ge=ARGON2_MIN_TIME_COST)
    argon2_parallelism: int = Field(4, ge=1, le=16)

    minimum_age: int = Field(18, ge=18, le=25)
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(12, ge=1, le=24 * 30)
    step_up_minutes: int = Field(10, ge=1, le=60)
    lockout_threshold: int = Field(10, ge=1, le=10, description="PCI DSS 8.3.4: at most 10.")
    lockout_minutes: int = Field(30, ge=30, description="PCI DSS 8.3.4: at least 30 minutes.")
    ip_sign_in_rate: str = Field(
        "30/minute", description="Sign-in and reset attempts allowed per client address."
    )
    rate_limit_storage: str = Field(
        "async+memory://", description="limits storage URI; async+redis://host for many processes."
    )
    password_reset_minutes: int = Field(30, ge=5, le=24 * 60)
    staff_idle_minutes: int = Field(
        15, ge=1, le=60, description="A staff session ends after this long without a request."
    )
    staff_session_hours: int = Field(12, ge=1, le=24, description="A staff session's whole lifetime.")
    staff_invitation_hours: int = Field(
        72, ge=1, le=14 * 24, description="How long a staff invitation link can set a password."
    )

    mail_backend: Literal["mailbox", "smtp"] = "mailbox"
    mail_from: str = "Croupier <no-reply@croupier.localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    public_url: str = Field(
        "http://localhost:8000",
        description="Base URL used in mailed links; also the OAuth issuer, whose token endpoint client"
        " assertions must be addressed to.",
    )
    oauth_token_lifetime_seconds: int = Field(
        600, ge=30, le=3600, description="How long an OAuth access token lives (client credentials grant)."
    )

    psp_url: str = Field(
        "http://127.0.0.1:8700", description="The payment provider's API (`croupier sandbox psp` by default)."
    )
    psp_api_key: SecretStr | None = Field(None, description="Unset: deposits and withdrawals answer 503.")
    psp_max_amount: int = Field(
        2**53 - 1,
        ge=1,
        le=2**53 - 1,
        description="The largest payment or payout (minor units) the provider takes; larger deposits"
        " and withdrawals are refused (422 amount_above_provider_limit) before it is called. The"
        " default is the provider protocol's own limit, the largest integer JSON carries exactly.",
    )
    psp_webhook_secrets: SecretStr | None = Field(
        None, description="Comma-separated webhook signing secrets (several while the provider rotates)."
    )
    psp_webhook_tolerance_seconds: int = Field(300, ge=30, le=3600)
    webhook_base_url: str | None = Field(
        None, description="Where the provider reaches Croupier's webhooks; default public_url."
    )
    register_url: str = Field(
        "http://127.0.0.1:8710",
        description="The national self-exclusion register's API, GAMSTOP's shape (`croupier sandbox register`"
        " by default).",
    )
    register_api_key: SecretStr | None = Field(
        None, description="The register's X-API-Key. Unset: the register is not consulted (no check at all)."
    )
    register_timeout_seconds: float = Field(
        2.0, gt=0, le=30, description="How long a registration or sign-in waits for the register's answer."
    )
    register_cache_hours: int = Field(
        24,
        ge=0,
        le=24 * 7,
        description="A player's answer is reused at sign-in for this long (0: ask every time).",
    )
    register_on_outage: Literal["block", "allow"] = Field(
        "block",
        description="When the register cannot answer: `block` gambling until a later check succeeds (fail"
        " closed), or `allow` it (fail open; a block already in force stays).",
    )
    withdrawal_approval_thresholds: dict[str, int] = Field(
        default_factory=lambda: {"EUR": 100_000, "USD": 100_000, "GBP": 100_000},
        description="Per currency, minor units: larger withdrawals wait for staff. Unlisted: always wait.",
    )
    withdrawal_hold_days: int = Field(30, ge=1, le=365)
    four_eyes_withdrawal_minor: dict[str, int] = Field(
        default_factory=lambda: {"EUR": 1_000_000, "USD": 1_000_000, "GBP": 1_000_000},
        description="JSON: per currency, minor units: approving a larger withdrawal takes two staff members"
        " (one asks, another approves). Unlisted currency: every reviewed withdrawal takes two.",
    )
    four_eyes_adjustment_minor: dict[str, int] = Field(
        default_factory=lambda: {"EUR": 10_000, "USD": 10_000, "GBP": 10_000},
        description="JSON: per currency, minor units: a staff balance adjustment (credit or debit) larger"
        " than this waits for a second staff member's approval. Unlisted currency: every one waits.",
    )
    approval_hours: int = Field(
        24, ge=0, le=24 * 30, description="A four-eyes approval request expires after this many hours."
    )
    payout_sweep_seconds: float = Field(5.0, gt=0, le=300)

    game_stake_limits: dict[str, dict[str, tuple[int, int]]] = Field(
        default_factory=lambda: {
            "*": {
                "EUR": (10, 100_000),
                "USD": (10, 100_000),
                "GBP": (10, 100_000),
                "JPY": (10, 10_000_000),
                "BTC": (1_000, 100_000_000),
            }
        },
        description="JSON: per game (or * for every game), per currency, [minimum, maximum] stake in"
        " minor units. A currency without limits is not offered for that game.",
    )

    aml_large_transaction_thresholds: dict[str, int] = Field(
        default_factory=lambda: {"EUR": 200_000},
        description="JSON: per currency, minor units: a player's cash in or cash out in one gaming day"
        " at or above it goes into the large-transaction report (EUR 2,000, as the EU AML directive"
        " sets for casinos). A currency not listed is reported whatever the amount.",
    )
    gaming_day_timezone: str = Field(
        "UTC", description="IANA time zone of the gaming day, e.g. Europe/Malta (AML reports)."
    )
    gaming_day_cutover: time = Field(
        time(0, 0), description="Local time at which one gaming day ends and the next begins, e.g. 06:00."
    )
    sar_rentity_id: str = Field(
        "0", description="The reporting entity id the financial intelligence unit gave the casino (goAML)."
    )
    sar_reporting_person: str = Field(
        "",
        description="Full name of the money-laundering reporting officer named in suspicious activity"
        " reports.",
    )
    sar_reporting_email: str = Field("", description="The reporting officer's email in those reports.")
    sar_currency_code_local: str = Field("EUR", min_length=3, max_length=3)
    event_consumer: Literal["on", "off"] = Field(
        "on",
        description="on: every API process also delivers domain events to the registered handlers;"
        " off when `croupier risk worker` processes do it instead.",
    )
    event_bus: str | None = Field(
        None,
        description="nats://host:port relays the outbox to NATS JetStream and consumers read from it;"
        " unset: consumers read the PostgreSQL outbox directly.",
        pattern=r"^nats://[^\s]+$",
    )
    jobs_worker: Literal["on", "off"] = Field(
        "on",
        description="on: every API process also runs background jobs and periodic tasks (exports,"
        " retention); off when `croupier jobs worker` processes do it instead.",
    )
    jobs_concurrency: int = Field(2, ge=1, le=64, description="Jobs one worker runs at the same time.")
    event_poll_seconds: float = Field(
        2.0, gt=0, le=300, description="How often a consumer looks for events nobody woke it for."
    )
    event_batch_size: int = Field(200, ge=1, le=10_000, description="Events one consumer transaction takes.")
    event_handlers: list[str] = Field(
        default_factory=list,
        description="More handlers to deliver events to, as NAME=module:function (a JSON list);"
        " the built-in ones are always registered.",
    )

    webauthn_rp_id: str = "localhost"
    webauthn_rp_name: str = "Croupier"
    webauthn_origin: str = "http://localhost:8000"

    sanctions_alert_threshold: float = Field(
        0.90,
        gt=0,
        le=1,
        description="Sanctions screening: a score at or above opens a hit and a risk alert "
        "(precision and recall at this threshold: bench/sanctions_eval.py).",
    )
    sanctions_block_threshold: float = Field(
        0.97,
        gt=0,
        le=1,
        description="Sanctions screening: an open hit at or above refuses the player's deposits and "
        "withdrawals until it is cleared (`croupier sanctions clear`).",
    )

    # KYC (croupier.compliance.kyc): the levels each money path needs, and the provider.
    kyc_withdrawal_level: KycLevelName = Field(
        "full", description="The KYC level a player needs to withdraw (403 kyc_required below it)."
    )
    kyc_deposit_level: KycLevelName = Field(
        "full",
        description="The KYC level a player needs before deposits may take their total above the"
        " currency's kyc_deposit_thresholds.",
    )
    kyc_deposit_thresholds: dict[str, int] = Field(
        default_factory=lambda: {"EUR": 200_000, "USD": 200_000, "GBP": 200_000},
        description="JSON: per currency, minor units: the total a player may deposit (failed deposits"
        " aside) below kyc_deposit_level. A currency not listed needs that level for any deposit.",
    )
    kyc_url: str = Field(
        "http://127.0.0.1:8710", description="The KYC provider's API (`croupier sandbox kyc` by default)."
    )
    kyc_api_key: SecretStr | None = Field(
        None, description="KYC provider credentials; unset, document uploads and checks answer 503."
    )
    kyc_webhook_secrets: SecretStr | None = Field(
        None, description="Comma-separated KYC webhook signing secrets (several while the provider rotates)."
    )
    kyc_document_store: Literal["file", "s3"] = Field(
        "file",
        description="Where uploaded KYC documents are kept, sealed: `file` in kyc_document_dir, or `s3`"
        " in the bucket kyc_s3_bucket of an S3-compatible service (AWS S3, MinIO, Ceph...).",
    )
    kyc_document_dir: Path | None = Field(
        None, description="Where uploaded KYC documents are stored, sealed; default data_dir/kyc-documents."
    )
    kyc_s3_bucket: str | None = Field(
        None, description="The bucket of kyc_document_store=s3 (required then); it must exist already."
    )
    kyc_s3_prefix: str = Field(
        "", description="A folder in the bucket for the documents, e.g. `kyc`; unset: the bucket's root."
    )
    kyc_s3_endpoint_url: str | None = Field(
        None,
        description="The S3-compatible service's URL, e.g. http://minio:9000 (path-style addressing);"
        " unset: AWS S3.",
        pattern=r"^https?://[^\s]+$",
    )
    kyc_s3_region: str | None = Field(
        None, description="The bucket's region, e.g. eu-west-1; unset: the AWS SDK's own (AWS_REGION...)."
    )
    kyc_s3_access_key_id: SecretStr | None = Field(
        None,
        description="S3 credentials, with kyc_s3_secret_access_key; unset: the AWS SDK's own chain"
        " (AWS_* variables, an instance or pod role).",
    )
    kyc_s3_secret_access_key: SecretStr | None = Field(
        None, description="The secret of kyc_s3_access_key_id; never logged."
    )
    kyc_s3_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=120,
        description="How long one call to the S3 service may take to connect, and then to answer;"
        " past it (and a retry) an upload answers 503 kyc_document_store_unavailable.",
    )
    kyc_document_max_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024, description="The largest KYC document accepted."
    )

    @model_validator(mode="after")
    def _kyc_s3_is_complete(self) -> Settings:
        if self.kyc_document_store == "s3" and not self.kyc_s3_bucket:
            raise ValueError("CROUPIER_KYC_DOCUMENT_STORE=s3 requires CROUPIER_KYC_S3_BUCKET")
        if (self.kyc_s3_access_key_id is None) != (self.kyc_s3_secret_access_key is None):
            raise ValueError(
                "CROUPIER_KYC_S3_ACCESS_KEY_ID and CROUPIER_KYC_S3_SECRET_ACCESS_KEY go together: set both"
                " or neither"
            )
        return self

    @model_validator(mode="after")
    def _tls_is_complete(self) -> Settings:
        if self.tls_client_ca is not None and self.tls_certfile is None:
            raise ValueError("CROUPIER_TLS_CLIENT_CA needs CROUPIER_TLS_CERTFILE (TLS)")
        if self.tls_client_cert_required and self.tls_client_ca is None:
            raise ValueError("CROUPIER_TLS_CLIENT_CERT_REQUIRED needs CROUPIER_TLS_CLIENT_CA")
        return self

    @model_validator(mode="after")
    def _gaming_day_zone_exists(self) -> Settings:
        try:
            ZoneInfo(self.gaming_day_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "CROUPIER_GAMING_DAY_TIMEZONE must be an IANA time zone, e.g. Europe/Malta"
            ) from None
        return self

    # The risk engine (croupier.risk): inline decisions and the features behind them.
    risk_timeout_ms: float = Field(
        50.0, gt=0, le=10_000, description="decide()'s time budget; past it the per-action fallback answers."
    )
    risk_fail_closed_actions: str = Field(
        "",
        description="Comma-separated actions (sign_in, registration, deposit, withdrawal, bet) that are"
        " refused when decide() times out or fails; every other action proceeds (fail open). Both audited.",
    )

    @field_validator("risk_fail_closed_actions")
    @classmethod
    def _fail_closed_actions_known(cls, value: str) -> str:
        # A misspelt action would otherwise fail open without a word.
        unknown = {a.strip() for a in value.split(",") if a.strip()} - set(RISK_ACTIONS)
        if unknown:
            raise ValueError(f"unknown actions {sorted(unknown)}; known: {', '.join(RISK_ACTIONS)}")
        return value

    risk_rules_refresh_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long a process trusts its cached active rule set before re-checking.",
    )
    risk_link_window_days: int = Field(
        30, ge=1, le=365, description="Accounts sharing a device, card or address count within this window."
    )

    # Responsible gambling (croupier.compliance.responsible): limits, reality checks, markers of harm.
    rg_cooling_off_hours: int = Field(
        24,
        ge=24,
        le=24 * 7,
        description="A higher limit or a removal may be confirmed this long after it was asked for"
        " (UKGC RTS 12: at least 24 hours).",
    )
    rg_confirmation_days: int = Field(
        7,
        ge=1,
        le=90,
        description="A higher limit or a removal not confirmed this many days after it became"
        " confirmable lapses; the player asks again and the cooling-off starts over.",
    )
    rg_late_night_hours: tuple[int, int] = Field(
        (0, 6),
        description="Local hours [from, to) in the gaming day's time zone when play is a late-night"
        " marker of harm, e.g. [0, 6].",
    )
    rg_deposit_frequency_marker: int = Field(
        5,
        ge=2,
        description="A player's deposits this week at which, and above twice last week's count,"
        " a rising deposit frequency is marked.",
    )
    rg_limit_increase_marker: int = Field(
        3,
        ge=2,
        description="Requests for a higher limit or a removal within 30 days at which repeated"
        " increases are marked.",
    )

    @field_validator("rg_late_night_hours")
    @classmethod
    def _late_night_hours(cls, value: tuple[int, int]) -> tuple[int, int]:
        start, end = value
        if not (0 <= start <= 23 and 0 <= end <= 24 and start != end):
            raise ValueError("two distinct hours, from 0-23 and to 0-24, e.g. [0, 6] or [23, 5]")
        return value

    @model_validator(mode="after")
    def _metrics_port_is_its_own(self) -> Settings:
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise ValueError("CROUPIER_METRICS_PORT must differ from CROUPIER_PORT")
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 16:
            raise ValueError("CROUPIER_METRICS_TOKEN must be at least 16 characters")
        return self

    @model_validator(mode="after")
    def _sanctions_block_above_alert(self) -> Settings:
        if self.sanctions_block_threshold < self.sanctions_alert_threshold:
            raise ValueError("CROUPIER_SANCTIONS_BLOCK_THRESHOLD must not be below the alert threshold")
        return self

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.environment == "production":
            if self.database_url is None:
                raise ValueError("production requires CROUPIER_DATABASE_URL")
            if self.keyring_file is None and self.keyring is None:
                raise ValueError("production requires CROUPIER_KEYRING_FILE or CROUPIER_KEYRING")
        return self

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def webhook_url(self) -> str:
        return (self.webhook_base_url or self.public_url).rstrip("/") + "/v1/webhooks/psp"

    @property
    def kyc_webhook_url(self) -> str:
        return (self.webhook_base_url or self.public_url).rstrip("/") + "/v1/webhooks/kyc"

    @property
    def kyc_documents_dir(self) -> Path:
        return self.kyc_document_dir or self.data_dir / "kyc-documents"

    @property
    def backups_dir(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def mailbox_dir(self) -> Path:
        return self.data_dir / "mailbox"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""Settings: the one place that reads the environment (``EWS_`` variables)."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ews.crypto import development_key, parse_keys

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "dev", "development", "secret"})
DEVELOPMENT_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - refused outside development
DEVELOPMENT_CAP_SENDER = "desarrollo@ews.invalid"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every knob of the service. Build one with ``Settings()`` in the entry points, never at import."""

    model_config = SettingsConfigDict(env_prefix="EWS_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    database_url: str = "sqlite:///./var/ews.sqlite3"
    secret_key: str = DEVELOPMENT_SECRET
    # Fernet keys (urlsafe base64, 32 bytes) for contact details at rest, comma-separated, newest
    # first (ews/crypto.py); required outside development, derived from secret_key in development.
    encryption_key: str | None = None
    # CAP <sender>: this deployment's name as receivers see it, e.g. "alertas@ews.minjus.gob.pe";
    # required outside development.
    cap_sender: str | None = None
    # How long a CAP message holds (<expires> = sent + this): twice the reminder interval, so a
    # receiver whose last message expired knows it missed one.
    cap_expires_hours: float = 48.0
    # Where people follow links to (e-mail, CAP, Atom). Unset, `ews serve` uses the address it serves
    # on (`make run PORT=8101` links to 8101); other processes use this default.
    base_url: str = "http://127.0.0.1:8000"
    fixtures_dir: Path = Path(__file__).resolve().parent.parent / "fixtures"

    # In development with neither EWS_SMTP_HOST nor EWS_SMTP_PORT set, no mail leaves the machine:
    # it is kept (Maildir) in `mail_dir` and shown at /dashboard/mail (see `catches_mail`).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "EWS Alertas Tempranas <alertas@ews.example.org>"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = 10.0
    mail_dir: Path = Path("var/mail")

    webhook_allow_private: bool = False
    webhook_timeout_s: float = 10.0
    sms_gateway_url: str | None = None
    sms_gateway_username: str | None = None
    sms_gateway_password: str | None = None
    sms_gateway_body_template: str = '{"to": {{ to | tojson }}, "text": {{ text | tojson }}}'
    sms_gateway_content_type: str = "application/json"

    # Scheduling (embedded in `ews serve` unless disabled; `ews scheduler` runs it alone).
    embedded_scheduler: bool = True
    embedded_worker: bool = True
    compute_interval_minutes: float = 15
    # How often communities are told what changed about their alerts (acknowledgements, actions):
    # the changes of one interval go out as one SMS per alert and contact (0: only after each
    # evaluation).
    community_update_interval_minutes: float = 10
    # The computation runs in shards of this many communities (0: one shard), each read, computed,
    # stored and freed before the next: peak memory follows the shard, not the country. Several
    # `ews scheduler` processes on one PostgreSQL share a tick's shards (claimed in job_run).
    shard_size: int = 250
    # A process computing a shard renews its lease every third of this; a shard whose lease ran out
    # (its process died) is taken over by another process of the run.
    shard_lease_seconds: float = 60
    # How often a process that has no shard left to claim looks whether the run is finished.
    shard_poll_seconds: float = 1.0
    # The delivery worker (`ews worker`, or inside `ews serve`) delivers; set this to also run a
    # delivery pass on the scheduler's ticks.
    deliver_interval_seconds: int = 0
    feed_pull_interval_minutes: int = 60
    feed_pull_sources: list[str] = Field(default_factory=list)
    # The daily digest of each institution (`send-digests`) is made at this Lima hour (0-23).
    digest_hour: int = Field(default=7, ge=0, le=23)

    # Alert lifecycle intervals.
    reminder_interval_hours: float = 24.0
    national_escalation_after_hours: float = 12.0
    # An alert resolves itself at the first evaluation after its category has stayed below warning
    # this long (measured from the evaluation that first saw it fall).
    auto_resolve_after_minutes: float = 30.0

    # Delivery.
    delivery_max_attempts: int = 8
    delivery_backoff_base_s: float = 30.0
    delivery_backoff_max_s: float = 3600.0
    delivery_claim_timeout_s: float = 300.0
    delivery_batch_size: int = 50
    # How often `ews worker` (and the worker embedded in `ews serve`) looks for due messages.
    delivery_poll_interval_s: float = 2.0
    # Outcomes are recorded every N sends (a failure at once): a worker that dies resends at most N.
    delivery_record_every: int = 10

    # Limits.
    # Requests handled at once per API process; the rest wait in the event loop, holding no thread
    # and no database connection (kept below the thread pool's 40 so a handler's commit always
    # finds a thread).
    max_concurrent_requests: int = 32
    max_body_bytes: int = 1_000_000
    max_csv_bytes: int = 200_000_000
    intake_rate_per_minute: int = 600
    page_max: int = 1000
    report_future_tolerance_minutes: int = 10
    report_batch_max: int = 500

    # Kobo/ODK: report field -> form questions tried in order (wherever they sit in groups); the
    # location question reads ``[lat, lon]`` or ODK's "lat lon alt acc". Unset fields keep the default.
    kobo_mapping: dict[str, list[str]] = Field(default_factory=dict)

    # Photos kept as evidence (ews/photos): the folder (a volume in docker-compose.yml), the
    # largest file taken and the most pixels decoded.
    photos_dir: Path = Path("var/photos")
    photo_max_bytes: int = 10_000_000
    photo_max_pixels: int = 50_000_000
    # Photo uploads per key and minute (reports, field checks and patrols together), apart from
    # intake_rate_per_minute; a phone over it is answered 429 and sends the rest at its next try.
    photo_rate_per_minute: int = 60
    # The KoboToolbox server whose submissions' `_attachments` are fetched (only from this origin),
    # with an API token (`Authorization: Token <token>`); pending fetches are retried this often.
    kobo_url: str | None = None
    kobo_token: str | None = None
    kobo_timeout_s: float = 30.0
    photo_fetch_interval_minutes: float = 10
    photo_fetch_max_attempts: int = 20

    # Raster tiles under the dashboard map, e.g. a local tile server "http://tiles.lan/{z}/{x}/{y}.png";
    # none by default, so the pages need no internet.
    map_tile_url: str | None = None
    web_session_hours: float = 12.0
    # Dashboard sign-in: after this many failures from one client within the window, it waits.
    sign_in_max_failures: int = 5
    sign_in_window_minutes: float = 15.0
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.env is not Environment.development and (
            self.secret_key.lower() in PLACEHOLDER_SECRETS
            or self.secret_key == DEVELOPMENT_SECRET
            or len(self.secret_key) < 32
        ):
            msg = (
                "EWS_SECRET_KEY es un marcador de posición o tiene menos de 32 caracteres; "
                "defina un secreto real fuera de desarrollo. / EWS_SECRET_KEY is a placeholder or "
                "shorter than 32 characters; set a real secret outside development."
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _require_keys_outside_development(self) -> Settings:
        development = self.env is Environment.development
        if self.encryption_key is not None:
            parse_keys(self.encryption_key)
        elif not development:
            msg = (
                "Falta EWS_ENCRYPTION_KEY (clave Fernet para los contactos; cree una con "
                "`ews encryption new-key` y guárdela fuera de la base de datos). / "
                "EWS_ENCRYPTION_KEY is missing (the Fernet key for contact details; make one with "
                "`ews encryption new-key` and keep it outside the database)."
            )
            raise ValueError(msg)
        if self.cap_sender is not None and (
            not self.cap_sender.strip() or re.search(r"[\s,<&]", self.cap_sender)
        ):
            msg = (
                "EWS_CAP_SENDER no puede estar vacío ni llevar espacios, comas, < o & (CAP 1.2). / "
                "EWS_CAP_SENDER may not be empty or hold spaces, commas, < or & (CAP 1.2)."
            )
            raise ValueError(msg)
        if self.cap_sender is None and not development:
            msg = (
                "Falta EWS_CAP_SENDER, el remitente de los mensajes CAP (p. ej. "
                "alertas@ews.institucion.gob.pe). / EWS_CAP_SENDER is missing: the sender of the "
                "CAP messages (e.g. alertas@ews.institution.gob.pe)."
            )
            raise ValueError(msg)
        return self

    @property
    def encryption_keys(self) -> list[str]:
        """The Fernet keys, newest first (in development without a key, one derived key)."""
        if self.encryption_key is None:
            return [development_key(self.secret_key)]
        return parse_keys(self.encryption_key)

    @property
    def cap_sender_id(self) -> str:
        """The CAP sender: ``EWS_CAP_SENDER``, or in development a name that says so."""
        return self.cap_sender or DEVELOPMENT_CAP_SENDER

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def catches_mail(self) -> bool:
        """Development with no SMTP relay named: e-mail is kept in ``mail_dir``, never sent."""
        named = {"smtp_host", "smtp_port"} & self.model_fields_set
        return self.env == Environment.development and not named

    def served_at(self, host: str, port: int) -> Settings:
        """These settings for a service listening on ``host:port``: unless ``EWS_BASE_URL`` was
        given, links point at that address (a wildcard host becomes ``localhost``)."""
        if "base_url" in self.model_fields_set:
            return self
        shown = "localhost" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - a name
        if ":" in shown:
            shown = f"[{shown}]"
        return self.model_copy(update={"base_url": f"http://{shown}:{port}"})

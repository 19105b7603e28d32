"""Kobo ``_attachments``: fetched from the configured KoboToolbox server after the submission is
stored, processed like an upload.

Receiving a submission records one ``photo_fetch`` row per image attachment in the submission's own
transaction (so a fetch that fails never loses the submission); the fetch runs after the commit, in
the background of that request, and again on every ``fetch-photos`` job run for what is still
pending. A URL is fetched only when it is on the origin of ``EWS_KOBO_URL`` (never an arbitrary
address from the body), with ``Authorization: Token <EWS_KOBO_TOKEN>``, and at most
``EWS_PHOTO_MAX_BYTES`` read. Kobo answers an attachment with a redirect to its file storage (another
host), so at most :data:`MAX_REDIRECTS` redirects are followed, each to http or https without
credentials in the address and never from https down to http; the token goes only to the Kobo
server itself, never to the storage a redirect leads to. Failures are kept on the row (``attempts``, ``last_error``),
counted in each report's ``photos_pending`` and in the job's summary; logs name the fetch row and
report, never the URL (it may carry account names).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx
from fastapi import BackgroundTasks, FastAPI
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from ews.db import session_scope
from ews.models import PhotoFetch, Report
from ews.models.base import utcnow
from ews.photos.images import ImageRefused
from ews.photos.service import receive_photo
from ews.settings import Settings

logger = logging.getLogger(__name__)


class _QuietDuringFetch(logging.Filter):
    """httpx logs each request's URL at INFO; a Kobo attachment URL may carry account names, so
    the records of this thread's fetches are dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.fetching = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.fetching, "active", False)


_quiet = _QuietDuringFetch()
logging.getLogger("httpx").addFilter(_quiet)
KEEP_QUESTION = "keep_time_and_place"
MAX_URL = 2000
MAX_REDIRECTS = 3
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
TRUTHY = frozenset({"1", "true", "yes", "si", "sí"})


@dataclass(frozen=True)
class FetchResult:
    """What one attempt gave: bytes, or a status for the row and why."""

    data: bytes | None
    status: str  # done (with data) | pending (retry later) | refused (never)
    error: str | None = None


def attachment_urls(submission: Mapping[str, Any], kobo_url: str | None) -> list[str]:
    """The download URLs of the image attachments of a submission (pure). Relative URLs are taken
    against ``kobo_url``; non-image attachments (audio, video) are left out."""
    found: list[str] = []
    attachments = submission.get("_attachments")
    if not isinstance(attachments, list):
        return found
    for item in attachments:
        if not isinstance(item, Mapping):
            continue
        mimetype = item.get("mimetype")
        if isinstance(mimetype, str) and mimetype and not mimetype.startswith("image/"):
            continue
        url = item.get("download_url") or item.get("download_large_url")
        if not isinstance(url, str) or not url.strip():
            continue
        url = url.strip()
        if kobo_url and url.startswith("/"):
            url = urljoin(kobo_url, url)
        if len(url) <= MAX_URL and url not in found:
            found.append(url)
    return found


def keeps_time_and_place(submission: Mapping[str, Any]) -> bool:
    """A form question ``keep_time_and_place`` (anywhere in groups) answered yes; default no."""
    for key, value in submission.items():
        if str(key).rsplit("/", 1)[-1] == KEEP_QUESTION:
            return str(value).strip().lower() in TRUTHY
    return False


def record_attachments(
    session: Session, *, report_id: str, submission: Any, kobo_url: str | None
) -> int:
    """Add a pending fetch per image attachment not yet recorded for the report; flushes, never
    commits. Answers how many were added."""
    if not isinstance(submission, Mapping):
        return 0
    keep = keeps_time_and_place(submission)
    dialect = session.get_bind().dialect.name
    added = 0
    for url in attachment_urls(submission, kobo_url):
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(PhotoFetch)
        statement = insert.values(
            report_id=report_id,
            url=url,
            keep_time_and_place=keep,
            status="pending",
            attempts=0,
            created_at=utcnow(),
        ).on_conflict_do_nothing()
        added += len(session.execute(statement.returning(PhotoFetch.id)).all())
    return added


def schedule_attachment_fetch(
    session: Session,
    background: BackgroundTasks,
    app: FastAPI,
    *,
    report_id: str,
    submission: Any,
) -> None:
    """Record a stored submission's attachments, and fetch them after the request commits."""
    settings: Settings = app.state.settings
    if record_attachments(
        session, report_id=report_id, submission=submission, kobo_url=settings.kobo_url
    ):
        background.add_task(
            fetch_pending_photos,
            settings=settings,
            session_factory=app.state.session_factory,
            report_ids=[report_id],
        )


def same_origin(url: str, base: str) -> bool:
    try:
        one, two = httpx.URL(url), httpx.URL(base)
    except (httpx.InvalidURL, TypeError):
        return False
    if one.scheme not in ("http", "https") or one.userinfo:
        return False
    default = {"http": 80, "https": 443}
    return (one.scheme, one.host, one.port or default[one.scheme]) == (
        two.scheme,
        two.host,
        two.port or default.get(two.scheme, 0),
    )


def may_follow(origin: str, target: str) -> bool:
    """Whether a redirect from ``origin`` to ``target`` may be followed: http or https, no
    credentials in the address, never from https down to http."""
    try:
        one, two = httpx.URL(origin), httpx.URL(target)
    except (httpx.InvalidURL, TypeError):
        return False
    if two.scheme not in ("http", "https") or two.userinfo or not two.host:
        return False
    return not (one.scheme == "https" and two.scheme == "http")


def download(client: httpx.Client, url: str, *, settings: Settings) -> FetchResult:
    """One attempt at ``url`` (network only, no database)."""
    if not settings.kobo_url or not settings.kobo_token:
        return FetchResult(
            None, "pending", "EWS_KOBO_URL o EWS_KOBO_TOKEN sin configurar / not configured"
        )
    if not same_origin(url, settings.kobo_url):
        return FetchResult(
            None,
            "refused",
            "la dirección no es del servidor Kobo configurado / the address is not on the "
            "configured Kobo server",
        )
    _quiet.fetching.active = True
    try:
        return _get(
            client,
            url,
            token=settings.kobo_token,
            base=settings.kobo_url,
            limit=settings.photo_max_bytes,
        )
    finally:
        _quiet.fetching.active = False


def _get(client: httpx.Client, url: str, *, token: str, base: str, limit: int) -> FetchResult:
    """GET ``url``, following at most :data:`MAX_REDIRECTS` redirects (see :func:`may_follow`);
    the token only on the Kobo server's own origin."""
    current = url
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            headers = {"Authorization": f"Token {token}"} if same_origin(current, base) else {}
            with client.stream("GET", current, headers=headers) as response:
                code = response.status_code
                if code in REDIRECT_CODES:
                    location = response.headers.get("location")
                    if not location:
                        return FetchResult(None, "pending", f"HTTP {code} sin Location")
                    target = str(httpx.URL(current).join(location))
                    if not may_follow(current, target):
                        return FetchResult(
                            None,
                            "refused",
                            "redirección a una dirección no permitida / redirected to an "
                            "address that is not allowed",
                        )
                    current = target
                    continue
                if code != 200:
                    return FetchResult(None, "pending", f"HTTP {code}")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        return FetchResult(
                            None, "refused", f"más de {limit:,} bytes / more than {limit:,} bytes"
                        )
                    chunks.append(chunk)
                return FetchResult(b"".join(chunks), "done")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return FetchResult(None, "pending", type(exc).__name__)
    return FetchResult(
        None,
        "pending",
        f"más de {MAX_REDIRECTS} redirecciones / more than {MAX_REDIRECTS} redirects",
    )


def fetch_pending_photos(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    report_ids: list[str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, int]:
    """Try every pending fetch (of ``report_ids``, or all): the download holds no transaction; each
    outcome is committed on its own. Answers counts: fetched, retry, refused, failed."""
    with session_scope(session_factory) as session:
        query = select(PhotoFetch.id, PhotoFetch.url).where(PhotoFetch.status == "pending")
        if report_ids is not None:
            query = query.where(PhotoFetch.report_id.in_(report_ids))
        pending = session.execute(query.order_by(PhotoFetch.id)).all()
    counts = {"fetched": 0, "retry": 0, "refused": 0, "failed": 0}
    if not pending:
        return counts
    with httpx.Client(
        timeout=settings.kobo_timeout_s, follow_redirects=False, transport=transport
    ) as client:
        for fetch_id, url in pending:
            if not _claim(session_factory, fetch_id, settings=settings):
                continue  # another process is fetching it right now
            result = download(client, url, settings=settings)
            try:
                with session_scope(session_factory) as session:
                    outcome = _record(session, fetch_id, result, settings=settings, now=utcnow())
            except Exception:
                # Kept pending for the next run (a full disk, a database hiccup).
                logger.exception("kobo attachment %s could not be stored", fetch_id)
                outcome = "retry"
            counts[outcome] += 1
    return counts


def _claim(session_factory: sessionmaker[Session], fetch_id: int, *, settings: Settings) -> bool:
    now = utcnow()
    lease = now + timedelta(seconds=settings.kobo_timeout_s * 2 + 60)
    with session_scope(session_factory) as session:
        claimed = session.execute(
            update(PhotoFetch)
            .where(
                PhotoFetch.id == fetch_id,
                PhotoFetch.status == "pending",
                or_(PhotoFetch.claimed_until.is_(None), PhotoFetch.claimed_until < now),
            )
            .values(claimed_until=lease)
        )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _record(
    session: Session, fetch_id: int, result: FetchResult, *, settings: Settings, now: datetime
) -> str:
    fetch = session.get(PhotoFetch, fetch_id)
    if fetch is None or fetch.status != "pending":
        return "retry" if fetch is None else "fetched"
    configured = bool(settings.kobo_url and settings.kobo_token)
    if configured:
        fetch.attempts += 1
    fetch.last_attempt_at = now
    status, error = result.status, result.error
    if result.data is not None:
        report = session.get(Report, fetch.report_id)
        assert report is not None
        try:
            received = receive_photo(
                session,
                settings=settings,
                report=report,
                data=result.data,
                keep_time_and_place=fetch.keep_time_and_place,
                source="kobo",
                now=now,
            )
        except ImageRefused as refusal:
            status, error = "refused", refusal.message
        else:
            fetch.photo_id = received.photo.id
    if status == "pending" and fetch.attempts >= settings.photo_fetch_max_attempts:
        status = "failed"
    fetch.status, fetch.last_error, fetch.claimed_until = status, error, None
    if status != "done":
        logger.warning(
            "kobo attachment %s of report %s not fetched (%s): %s",
            fetch.id,
            fetch.report_id,
            status,
            error,
        )
    return {"done": "fetched", "pending": "retry"}.get(status, status)


def fetch_photos(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """The ``fetch-photos`` job: every pending Kobo attachment, once; with what is left."""
    del as_of  # a fetch is due whenever it is pending
    counts: dict[str, Any] = fetch_pending_photos(
        settings=settings, session_factory=session_factory
    )
    with session_scope(session_factory) as session:
        counts["pending"] = len(
            session.execute(select(PhotoFetch.id).where(PhotoFetch.status == "pending")).all()
        )
    return counts

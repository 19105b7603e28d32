"""From outbox rows to rendered messages: gathers the plain data ``alerts.messages`` needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.channels import Envelope
from alerts.digest import digest_from_json, render_digest
from alerts.exercise import exercise_recipient_refusal
from alerts.messages import Notice, render_message, webhook_json
from ews.alerting.cap import message_for_delivery
from ews.alerting.cap_document import CapSource
from ews.models import (
    Alert,
    AlertEvent,
    CategoryContext,
    Community,
    CommunityContact,
    Contact,
    IndicatorRule,
    Institution,
    OutboxMessage,
    Report,
)
from ews.settings import Settings

REPORT_WORDS_MAX = 3
# An institution's overdue action: reminded by the outbox, but not an alert update (no CAP message).
ACTION_OVERDUE = "action_overdue"


class RenderError(Exception):
    """The row cannot become a message (its contact is gone or inactive, ...): a permanent error."""


@dataclass
class ReferenceCache:
    """Reference rows a pass needs again and again, read once per pass."""

    categories: dict[str, CategoryContext]
    indicator_names: dict[str, dict[str, str]]
    institutions: dict[str, Institution]
    communities: dict[str, Community]

    @classmethod
    def load(cls, session: Session) -> ReferenceCache:
        return cls(
            categories={c.category: c for c in session.scalars(select(CategoryContext))},
            indicator_names={
                r.code: {"es": r.name_es, "en": r.name_en, "unit": r.unit}
                for r in session.scalars(select(IndicatorRule))
            },
            institutions={i.code: i for i in session.scalars(select(Institution))},
            communities={c.code: c for c in session.scalars(select(Community))},
        )


def report_words(session: Session, report_ids: list[Any]) -> list[str]:
    """The words of the newest few reports (for categories that allow them): the description
    only, never who sent it."""
    ids = [str(i) for i in report_ids[-REPORT_WORDS_MAX:]]
    rows = session.execute(
        select(Report.description).where(Report.id.in_(ids), Report.description.is_not(None))
    )
    return [str(description) for (description,) in rows]


def ack_url(settings: Settings, alert_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/dashboard/alerts/{alert_id}"


def build_notice(
    session: Session,
    *,
    settings: Settings,
    row: OutboxMessage,
    alert: Alert,
    event: AlertEvent,
    contact: Contact,
    cache: ReferenceCache,
) -> Notice:
    community = cache.communities[alert.community_code]
    category = cache.categories.get(alert.category)
    # An institution's contact always has its institution (a community contact's row has none and
    # is rendered by community_envelope).
    institution_code = row.institution_code or contact.institution_code
    institution = cache.institutions.get(institution_code)
    language = contact.language
    # The event's own snapshot of the evidence when it has one, so a retry says what was true then.
    evidence: dict[str, Any] = (
        row.payload.get("evidence") or event.details.get("evidence") or alert.evidence or {}
    )
    words_allowed = bool(category and category.reporter_words_allowed)
    if words_allowed and evidence.get("report_ids"):
        evidence = {**evidence, "report_words": report_words(session, evidence["report_ids"])}
    return Notice(
        alert_id=alert.id,
        event_id=event.id,
        event_kind=event.kind,
        level=event.level,
        event_at=event.at,
        community_name=community.name,
        region=community.region,
        category=alert.category,
        category_name={"es": category.name_es, "en": category.name_en} if category else {},
        action={"es": category.action_es, "en": category.action_en} if category else {},
        institution_name=(
            (institution.name_en if language == "en" else institution.name_es)
            if institution
            else institution_code
        ),
        ack_url=ack_url(settings, alert.id),
        evidence=evidence,
        indicator_names=cache.indicator_names,
        reporter_words_allowed=words_allowed,
        exercise=community.synthetic,
        change_values=_change_values(event),
    )


def _change_values(event: AlertEvent) -> dict[str, dict[str, str]]:
    """An overdue action's label (in each language) and due date, for the change line."""
    label = event.details.get("label")
    if not isinstance(label, dict):
        return {}
    due = str(event.details.get("due") or "?")
    return {lang: {"action": str(label.get(lang, "?")), "due": due} for lang in ("es", "en")}


CAP_CONTENT_TYPE = "application/cap+xml"


def to_outbound(
    *,
    settings: Settings,
    row: OutboxMessage,
    notice: Notice,
    contact: Contact,
    cap_body: bytes | None = None,
) -> Envelope:
    rendered = render_message(notice, contact.language)
    domain_headers = {
        # Threads every event of one alert together in the institution's mail client.
        "References": f"<alert-{notice.alert_id}@{_sender_domain(settings)}>",
        "X-EWS-Alert-Id": str(notice.alert_id),
        "X-EWS-Event": notice.event_kind,
    }
    if contact.channel == "webhook" and cap_body is not None:
        body, content_type = cap_body, CAP_CONTENT_TYPE
    elif contact.channel == "webhook":
        body, content_type = webhook_json(notice, rendered), "application/json"
    else:
        body, content_type = b"", "text/plain"
    return Envelope(
        message_id=row.message_id,
        address=contact.address,
        contact=contact.code,
        subject=rendered.subject,
        text=rendered.sms_text if contact.channel == "sms" else rendered.text,
        language=rendered.language,
        body=body,
        content_type=content_type,
        headers=domain_headers,
    )


def _sender_domain(settings: Settings) -> str:
    return parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "ews.invalid"


def render_rows(
    session: Session, *, settings: Settings, rows: Sequence[OutboxMessage], cache: ReferenceCache
) -> dict[int, Envelope | RenderError]:
    """Each row's message, or why it cannot have one. Reads alerts, events and contacts in bulk."""
    alerts = _by_id(session, Alert, {r.alert_id for r in rows if r.alert_id is not None})
    events = _by_id(session, AlertEvent, {r.event_id for r in rows if r.event_id is not None})
    contacts = _by_id(session, Contact, {r.contact_id for r in rows if r.contact_id is not None})
    community_contacts = _by_id(
        session,
        CommunityContact,
        {r.community_contact_id for r in rows if r.community_contact_id is not None},
    )
    out: dict[int, Envelope | RenderError] = {}
    for row in rows:
        if row.community_contact_id is not None:
            out[row.id] = community_envelope(row, community_contacts.get(row.community_contact_id))
            continue
        contact = contacts.get(row.contact_id) if row.contact_id is not None else None
        if contact is None or not contact.active:
            out[row.id] = RenderError("contacto inactivo o borrado / contact inactive or removed")
            continue
        if contact.channel != row.channel:
            out[row.id] = RenderError(
                f"el contacto cambió de canal / contact channel changed: {row.channel} -> "
                f"{contact.channel}"
            )
            continue
        if row.digest_id is not None:
            out[row.id] = digest_envelope(settings=settings, row=row, contact=contact)
            continue
        assert row.alert_id is not None and row.event_id is not None
        community = cache.communities.get(alerts[row.alert_id].community_code)
        refusal = (
            exercise_recipient_refusal(contact.channel, contact.address)
            if community is not None and community.synthetic
            else None
        )
        if refusal is not None:
            out[row.id] = RenderError(refusal)
            continue
        try:
            notice = build_notice(
                session,
                settings=settings,
                row=row,
                alert=alerts[row.alert_id],
                event=events[row.event_id],
                contact=contact,
                cache=cache,
            )
            # The CAP message written with the event, byte for byte (never re-rendered).
            cap_body = (
                message_for_delivery(session, event_id=row.event_id, source=CapSource.of(settings))
                if contact.channel == "webhook"
                and contact.payload_format == "cap"
                and events[row.event_id].kind != ACTION_OVERDUE  # no CAP: the alert is unchanged
                else None
            )
            out[row.id] = to_outbound(
                settings=settings, row=row, notice=notice, contact=contact, cap_body=cap_body
            )
        except (KeyError, ValueError, LookupError) as exc:
            out[row.id] = RenderError(f"no se pudo redactar / cannot render: {exc!r}")
    return out


def community_envelope(
    row: OutboxMessage, contact: CommunityContact | None
) -> Envelope | RenderError:
    """A message to a community's leader or monitor: the text written when the change was told
    (``ews.alerting.community``), by SMS to the contact's phone as it is now."""
    if contact is None or not contact.active:
        return RenderError("contacto inactivo o borrado / contact inactive or removed")
    text = row.payload.get("text")
    if not isinstance(text, str) or not text:
        return RenderError("mensaje sin texto / message without text")
    return Envelope(
        message_id=row.message_id,
        address=contact.phone,
        contact=contact.code,
        subject="",
        text=text,
        language=contact.language,
        body=b"",
        content_type="text/plain",
        headers={"X-EWS-Alert-Id": str(row.alert_id), "X-EWS-Event": "community_told"},
    )


def digest_envelope(
    *, settings: Settings, row: OutboxMessage, contact: Contact
) -> Envelope | RenderError:
    """A daily digest's mail, written from the digest the outbox row keeps (what was true when it
    was made), in the contact's language."""
    try:
        digest = digest_from_json(row.payload["digest"])
    except (KeyError, TypeError, ValueError) as exc:
        return RenderError(f"no se pudo redactar el resumen / cannot render the digest: {exc!r}")
    rendered = render_digest(digest, contact.language)
    return Envelope(
        message_id=row.message_id,
        address=contact.address,
        contact=contact.code,
        subject=rendered.subject,
        text=rendered.text,
        language=rendered.language,
        body=b"",
        content_type="text/plain",
        headers={
            # Threads an institution's digests together in its mail client.
            "References": f"<digest-{digest.institution_code}@{_sender_domain(settings)}>",
            "X-EWS-Digest": digest.day.isoformat(),
        },
    )


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {obj.id: obj for obj in session.scalars(select(model).where(model.id.in_(ids)))}

"""The daily digests (DESIGN section 12): each institution's digest for the Lima day, made once and
queued in the outbox for its e-mail contacts, so retries and the delivery log apply as to any
notification.

Once per institution and Lima day, whoever runs it and however often: the ``institution_digest``
row (unique institution + day) is the claim, inserted in the same transaction as the outbox rows. A
second run, or a second scheduler, finds the row (or loses the insert race with an integrity error)
and queues nothing. An institution with nothing open, no pending action and nothing changed gets
the row (the day is done) and no message.

Each e-mail contact reads what ordinary routing would send it (:func:`contact_sees`): a regional
office its region's alerts at or above its minimum level, a national office every alert at or
above its minimum level and every alert escalated to national level. A synthetic (demo) community's
alerts only reach exercise addresses (``example.org``), as for notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.digest import (
    CHANGE_KINDS,
    PENDING_ACTION_STATUSES,
    Digest,
    DigestAction,
    DigestAlert,
    DigestEvent,
    build_digest,
    lima_day,
)
from alerts.exercise import exercise_recipient_refusal
from alerts.routing import NATIONAL_SCOPE, REGIONAL_SCOPE
from ews.alerting.service import routed_to_clause
from ews.db import session_scope
from ews.delivery.render import ack_url
from ews.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    CategoryContext,
    Community,
    Contact,
    Institution,
    InstitutionDigest,
    OutboxMessage,
    OutboxStatus,
)
from ews.models.base import new_uuid, utcnow
from ews.models.responses import ActionType, AlertAction, AlertResponse
from ews.settings import Settings
from indicators.levels import Level

logger = logging.getLogger(__name__)

DIGEST_CHANNEL = "email"
# The first digest of an institution reports the changes of the day before it.
FIRST_DIGEST_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Seen:
    """What decides whether a contact sees an alert."""

    region_ubigeo: str
    level: str
    national_escalated: bool
    synthetic: bool


def contact_sees(contact: Contact, seen: Seen) -> bool:
    """Ordinary routing's rule for one alert and one contact (scope, region, minimum level), with
    escalation to national level reaching national contacts whatever their minimum level, and
    synthetic communities only reaching exercise addresses."""
    if seen.synthetic and exercise_recipient_refusal(contact.channel, contact.address) is not None:
        return False
    if contact.scope == NATIONAL_SCOPE:
        return seen.national_escalated or Level(seen.level).at_least(contact.min_level)
    return (
        contact.scope == REGIONAL_SCOPE
        and contact.region_ubigeo == seen.region_ubigeo
        and Level(seen.level).at_least(contact.min_level)
    )


@dataclass(frozen=True)
class Gathered:
    """One institution's rows for its digest, as plain data."""

    alerts: list[DigestAlert]
    seen: dict[int, Seen]
    events: list[DigestEvent]
    actions: list[DigestAction]


def gather(
    session: Session, *, settings: Settings, institution: str, since: datetime, now: datetime
) -> Gathered:
    """The alerts routed to ``institution`` that are open or were resolved after ``since``, their
    changes in ``(since, now]`` (muted events were never notified: left out), and its pending
    actions with their catalog labels. No evidence, note or name is read."""
    # What the institution sees through the API too (``routed_to``), and nothing else.
    routed = list(
        session.scalars(
            select(Alert).where(
                or_(
                    Alert.status != AlertStatus.resolved,
                    and_(Alert.resolved_at.is_not(None), Alert.resolved_at > since),
                ),
                Alert.opened_at <= now,
                routed_to_clause(session, institution),
            )
        )
    )
    ids = [a.id for a in routed]
    if not ids:
        return Gathered([], {}, [], [])
    communities = {
        c.code: c
        for c in session.scalars(
            select(Community).where(Community.code.in_({a.community_code for a in routed}))
        )
    }
    categories = {c.category: c for c in session.scalars(select(CategoryContext))}
    acknowledged = set(
        session.scalars(
            select(AlertResponse.alert_id).where(
                AlertResponse.alert_id.in_(ids),
                AlertResponse.institution_code == institution,
                AlertResponse.acknowledged_at.is_not(None),
                AlertResponse.acknowledged_at <= now,
            )
        )
    )
    alerts: list[DigestAlert] = []
    seen: dict[int, Seen] = {}
    for alert in routed:
        community = communities[alert.community_code]
        category = categories.get(alert.category)
        # The alert as it stood at `now`: resolved later is still open then.
        resolved = alert.resolved_at is not None and alert.resolved_at <= now
        alerts.append(
            DigestAlert(
                alert_id=alert.id,
                community_code=community.code,
                community_name=community.name,
                region=community.region,
                category=alert.category,
                category_name={"es": category.name_es, "en": category.name_en} if category else {},
                level=alert.level,
                status=AlertStatus.resolved if resolved else AlertStatus.open,
                opened_at=alert.opened_at,
                acknowledged_by_institution=alert.id in acknowledged,
                url=ack_url(settings, alert.id),
                exercise=community.synthetic,
            )
        )
        seen[alert.id] = Seen(
            region_ubigeo=community.region_ubigeo,
            level=alert.level,
            national_escalated=alert.national_escalated_at is not None,
            synthetic=community.synthetic,
        )
    events = [
        DigestEvent(alert_id, kind, level, at, _acknowledging(kind, details))
        for alert_id, kind, level, at, details in session.execute(
            select(
                AlertEvent.alert_id,
                AlertEvent.kind,
                AlertEvent.level,
                AlertEvent.at,
                AlertEvent.details,
            ).where(
                AlertEvent.alert_id.in_(ids),
                AlertEvent.kind.in_(list(CHANGE_KINDS)),
                AlertEvent.muted_by.is_(None),
                AlertEvent.at > since,
                AlertEvent.at <= now,
            )
        )
    ]
    labels = {
        t.code: {"es": t.label_es, "en": t.label_en}
        for t in session.scalars(
            select(ActionType).where(ActionType.institution_code == institution)
        )
    }
    actions = [
        DigestAction(x.alert_id, x.type, labels.get(x.type, {}), x.status, x.due)
        for x in session.scalars(
            select(AlertAction).where(
                AlertAction.alert_id.in_(ids),
                AlertAction.institution_code == institution,
                AlertAction.status.in_(list(PENDING_ACTION_STATUSES)),
            )
        )
    ]
    return Gathered(alerts, seen, events, actions)


def _acknowledging(kind: str, details: dict[str, Any] | None) -> str | None:
    """The institution's code of an acknowledgement (only that: never the key, never the note)."""
    if kind != "acknowledged" or not isinstance(details, dict):
        return None
    code = details.get("institution")
    return code if isinstance(code, str) else None


def digest_for_contact(
    contact: Contact,
    gathered: Gathered,
    *,
    settings: Settings,
    institution: Institution,
    since: datetime,
    now: datetime,
) -> Digest:
    """The institution's digest restricted to the alerts ``contact`` would be notified of."""
    visible = [a for a in gathered.alerts if contact_sees(contact, gathered.seen[a.alert_id])]
    return build_digest(
        institution_code=institution.code,
        institution_name={"es": institution.name_es, "en": institution.name_en},
        alerts=visible,
        events=gathered.events,
        actions=gathered.actions,
        since=since,
        now=now,
        queue_url=queue_url(settings, institution.code),
    )


def queue_url(settings: Settings, institution_code: str) -> str:
    """The dashboard's alert queue of one institution (where a long digest sends the reader)."""
    return f"{settings.base_url.rstrip('/')}/dashboard?institution={institution_code}"


@dataclass(frozen=True)
class Queued:
    institution: str
    status: str  # queued | nothing | already
    messages: int = 0


def queue_digest(
    factory: sessionmaker[Session], *, settings: Settings, institution_code: str, now: datetime
) -> Queued:
    """Make and queue ``institution_code``'s digest for the Lima day of ``now``, in one transaction
    with its claim; ``already`` when that day's digest exists (another run made it)."""
    day = lima_day(now)
    try:
        with session_scope(factory) as session:
            claimed = session.scalar(
                select(InstitutionDigest.id).where(
                    InstitutionDigest.institution_code == institution_code,
                    InstitutionDigest.day == day,
                )
            )
            if claimed is not None:
                return Queued(institution_code, "already")
            institution = session.get(Institution, institution_code)
            assert institution is not None
            previous = session.scalar(
                select(InstitutionDigest.prepared_at)
                .where(
                    InstitutionDigest.institution_code == institution_code,
                    InstitutionDigest.day < day,
                )
                .order_by(InstitutionDigest.day.desc())
                .limit(1)
            )
            since = previous if previous is not None else now - FIRST_DIGEST_LOOKBACK
            gathered = gather(
                session, settings=settings, institution=institution_code, since=since, now=now
            )
            contacts = _email_contacts(session, institution_code)
            whole = build_digest(
                institution_code=institution_code,
                institution_name={"es": institution.name_es, "en": institution.name_en},
                alerts=gathered.alerts,
                events=gathered.events,
                actions=gathered.actions,
                since=since,
                now=now,
            )
            row = InstitutionDigest(
                institution_code=institution_code,
                day=day,
                prepared_at=now,
                since=since,
                messages=0,
                counts=whole.as_json()["counts"],
            )
            session.add(row)
            session.flush()  # the claim: a concurrent run fails here (unique institution + day)
            messages: list[OutboxMessage] = []
            queued_at = utcnow()
            for contact in contacts:
                digest = digest_for_contact(
                    contact,
                    gathered,
                    settings=settings,
                    institution=institution,
                    since=since,
                    now=now,
                )
                if digest.empty:
                    continue
                messages.append(
                    OutboxMessage(
                        message_id=new_uuid(),
                        digest_id=row.id,
                        contact_id=contact.id,
                        institution_code=institution_code,
                        channel=contact.channel,
                        status=OutboxStatus.pending,
                        # Due at once: queued now, whatever moment the digest is made as of.
                        next_attempt_at=queued_at,
                        created_at=queued_at,
                        payload={
                            "kind": "digest",
                            "day": day.isoformat(),
                            "digest": digest.as_json(),
                        },
                    )
                )
            session.add_all(messages)
            row.messages = len(messages)
            session.flush()
            return Queued(institution_code, "queued" if messages else "nothing", len(messages))
    except IntegrityError:
        logger.info("digest of %s for %s made by another run", institution_code, day)
        return Queued(institution_code, "already")


def _email_contacts(session: Session, institution_code: str) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .where(
                Contact.institution_code == institution_code,
                Contact.channel == DIGEST_CHANNEL,
                Contact.active.is_(True),
            )
            .order_by(Contact.id)
        )
    )


def institutions_with_email(session: Session) -> Sequence[str]:
    """The institutions that have an active e-mail contact (the others cannot read a digest)."""
    return list(
        session.scalars(
            select(Contact.institution_code)
            .where(Contact.channel == DIGEST_CHANNEL, Contact.active.is_(True))
            .distinct()
            .order_by(Contact.institution_code)
        )
    )


def send_digests(
    factory: sessionmaker[Session], *, settings: Settings, now: datetime
) -> dict[str, Any]:
    """Queue every institution's digest for the Lima day of ``now`` (each in its own transaction).
    Answers the day and, per institution, ``queued`` (with its messages), ``nothing`` or
    ``already``."""
    with session_scope(factory) as session:
        codes = institutions_with_email(session)
    outcomes = [
        queue_digest(factory, settings=settings, institution_code=code, now=now) for code in codes
    ]
    return {
        "day": lima_day(now).isoformat(),
        "queued": sum(o.messages for o in outcomes),
        "institutions": {o.institution: o.status for o in outcomes},
    }

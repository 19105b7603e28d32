"""The community hears back (DESIGN section 12): the I/O shell around :mod:`alerts.community`.

:func:`tell_communities` (the ``tell-communities`` job, also run after each computation's evaluation) compares,
for each alert a community raised (its evidence holds reports), what its leaders and monitors were
last told with what is true now (institutions that acknowledged, actions recorded, closed); on a
change it writes one ``community_told`` alert event (on the shared timeline, with the text told)
and one outbox row per active community contact, delivered by SMS like every other message
(retried, in the delivery log). Changes between two runs go out together: one message per run and
alert at most, which is the rate limit.

:func:`answer_target`, :func:`answer_report_fields` and :func:`record_answer` turn a leader's
answer by SMS ("la amenaza continúa" / "ya pasó", or 1/2) into a report of the community and a
``community_answered`` event. "Ya pasó" never resolves the alert: it is a report of "all quiet"
that the alert's institutions read on the timeline; the alert resolves itself when its indicators
stay below warning, or by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.community import (
    ANSWER_ES,
    Answer,
    CommunityView,
    ToldAction,
    community_message,
)
from ews.alerting import loading
from ews.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    CategoryContext,
    Community,
    CommunityContact,
    IndicatorRule,
    Institution,
    OutboxMessage,
)
from ews.models.responses import ActionType, AlertAction, AlertResponse

TOLD_KIND = "community_told"
ANSWERED_KIND = "community_answered"
# A closed alert is still told it was closed for this long after (then it is history).
CLOSED_TOLD_WITHIN = timedelta(days=7)
ACTOR = "system"


def is_community_alert(alert: Alert) -> bool:
    """An alert the community raised: reports of the community are among its evidence."""
    return bool((alert.evidence or {}).get("report_ids"))


def _told(session: Session, alert_ids: Sequence[int]) -> dict[int, CommunityView]:
    """The last view told for each alert (none yet: absent)."""
    told: dict[int, CommunityView] = {}
    if not alert_ids:
        return told
    rows = session.scalars(
        select(AlertEvent)
        .where(AlertEvent.alert_id.in_(list(alert_ids)), AlertEvent.kind == TOLD_KIND)
        .order_by(AlertEvent.id)
    )
    for event in rows:
        told[event.alert_id] = CommunityView.from_dict(event.details.get("told") or {})
    return told


def current_views(session: Session, alerts: Sequence[Alert]) -> dict[int, CommunityView]:
    """What each alert's community may know now: the acronyms of the institutions that
    acknowledged (in order), the actions not declined (catalog label, status), closed or not."""
    ids = [a.id for a in alerts]
    acronyms = {i.code: i.acronym for i in session.scalars(select(Institution))}
    categories = {c.category: c.name_es for c in session.scalars(select(CategoryContext))}
    labels = {(t.institution_code, t.code): t.label_es for t in session.scalars(select(ActionType))}
    # Acknowledgements and actions as the alert's events record them ("acknowledged" with the
    # institution, "action_recorded" with its action id, type and status) and as the response
    # tables hold them: whichever says it, once, in the order it happened.
    acks: dict[int, list[str]] = {i: [] for i in ids}
    actions: dict[int, dict[str, tuple[str, str, str]]] = {i: {} for i in ids}
    for event in session.scalars(
        select(AlertEvent)
        .where(
            AlertEvent.alert_id.in_(ids),
            AlertEvent.kind.in_(("acknowledged", "action_recorded")),
        )
        .order_by(AlertEvent.id)
    ):
        institution = (event.details or {}).get("institution")
        if not institution:
            continue
        if event.kind == "acknowledged":
            if institution not in acks[event.alert_id]:
                acks[event.alert_id].append(str(institution))
        else:
            key = str(event.details.get("action_id", event.id))
            actions[event.alert_id][key] = (
                str(institution),
                str(event.details.get("type", "")),
                str(event.details.get("status", "")),
            )
    for response in session.scalars(
        select(AlertResponse)
        .where(AlertResponse.alert_id.in_(ids), AlertResponse.acknowledged_at.is_not(None))
        .order_by(AlertResponse.acknowledged_at, AlertResponse.id)
    ):
        if response.institution_code not in acks[response.alert_id]:
            acks[response.alert_id].append(response.institution_code)
    for action in session.scalars(
        select(AlertAction).where(AlertAction.alert_id.in_(ids)).order_by(AlertAction.id)
    ):
        actions[action.alert_id][str(action.id)] = (
            action.institution_code,
            action.type,
            action.status,
        )

    def told_actions(alert_id: int) -> tuple[ToldAction, ...]:
        return tuple(
            ToldAction(
                institution=acronyms.get(institution, institution),
                label=labels.get((institution, type_), type_),
                status=status,
            )
            for institution, type_, status in actions[alert_id].values()
            if status != "declined"
        )

    return {
        alert.id: CommunityView(
            category=categories.get(alert.category, alert.category),
            acknowledged=tuple(acronyms.get(code, code) for code in acks[alert.id]),
            actions=told_actions(alert.id),
            resolved=alert.status == AlertStatus.resolved,
        )
        for alert in alerts
    }


def _candidates(session: Session, *, now: datetime) -> list[Alert]:
    """Alerts of communities that have someone to tell: open ones, and those closed lately."""
    with_contacts = select(CommunityContact.community_code).where(CommunityContact.active)
    query = (
        select(Alert)
        .where(
            Alert.community_code.in_(with_contacts),
            (Alert.status != AlertStatus.resolved)
            | (Alert.resolved_at >= now - CLOSED_TOLD_WITHIN),
        )
        .order_by(Alert.id)
    )
    return [a for a in session.scalars(query) if is_community_alert(a)]


@dataclass
class Told:
    alerts: int = 0
    messages: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"alerts_told": self.alerts, "messages": self.messages}


def tell_communities(session: Session, *, now: datetime) -> Told:
    """Queue what each community has not been told yet about its alerts (flushes; the caller
    commits). Serialized with the other alert writers, so two runs never tell the same twice."""
    loading.lock_alerts(session)
    alerts = _candidates(session, now=now)
    told = _told(session, [a.id for a in alerts])
    views = current_views(session, alerts)
    contacts: dict[str, list[CommunityContact]] = {}
    for contact in session.scalars(
        select(CommunityContact).where(CommunityContact.active).order_by(CommunityContact.id)
    ):
        contacts.setdefault(contact.community_code, []).append(contact)
    synthetic = set(session.scalars(select(Community.code).where(Community.synthetic)))
    summary = Told()
    for alert in alerts:
        text = community_message(told.get(alert.id), views[alert.id])
        if text is None:
            continue
        event = AlertEvent(
            alert_id=alert.id,
            kind=TOLD_KIND,
            level=alert.level,
            at=now,
            actor=ACTOR,
            note=text,
            details={"told": views[alert.id].as_dict()},
        )
        session.add(event)
        session.flush()
        summary.alerts += 1
        if alert.community_code in synthetic:
            continue  # an exercise is never texted to a real phone (alerts.exercise)
        for contact in contacts.get(alert.community_code, []):
            session.add(
                OutboxMessage(
                    alert_id=alert.id,
                    event_id=event.id,
                    community_contact_id=contact.id,
                    institution_code=None,
                    contact_id=None,
                    channel="sms",
                    status="pending",
                    next_attempt_at=now,
                    payload={
                        "kind": TOLD_KIND,
                        "community": alert.community_code,
                        "text": text,
                    },
                )
            )
            summary.messages += 1
    session.flush()
    return summary


def community_messages(session: Session, *, community: str, limit: int = 20) -> list[AlertEvent]:
    """What a community was told, newest first (the ``/report`` page shows them)."""
    return list(
        session.scalars(
            select(AlertEvent)
            .join(Alert, Alert.id == AlertEvent.alert_id)
            .where(Alert.community_code == community, AlertEvent.kind == TOLD_KIND)
            .order_by(AlertEvent.id.desc())
            .limit(limit)
        )
    )


# --- A leader's answer --------------------------------------------------------------------------

ANSWER_NAMESPACE = uuid.UUID("7c1d2e0a-5b9f-4a77-9d1c-3e2f6a8b0c15")


@dataclass(frozen=True)
class AnswerTarget:
    contact: CommunityContact
    alert: Alert


def answer_target(session: Session, *, sender_pseudonym: str) -> AnswerTarget | None:
    """The active community contact with this phone pseudonym and the newest open alert of its
    community that it was told about, or ``None``."""
    contact = session.scalar(
        select(CommunityContact).where(
            CommunityContact.phone_pseudonym == sender_pseudonym, CommunityContact.active
        )
    )
    if contact is None:
        return None
    alert = session.scalar(
        select(Alert)
        .where(
            Alert.community_code == contact.community_code,
            Alert.status != AlertStatus.resolved,
            Alert.id.in_(select(AlertEvent.alert_id).where(AlertEvent.kind == TOLD_KIND)),
        )
        .order_by(Alert.id.desc())
        .limit(1)
    )
    return AnswerTarget(contact, alert) if alert is not None else None


def threat_type_of(session: Session, category: str) -> str:
    """The first threat type the category's indicators count (``other`` when none does)."""
    for rule in session.scalars(
        select(IndicatorRule).where(IndicatorRule.category == category).order_by(IndicatorRule.code)
    ):
        types = (rule.params or {}).get("threat_types") or []
        if types:
            return str(types[0])
    return "other"


def answer_report_fields(
    session: Session,
    *,
    target: AnswerTarget,
    answer: Answer,
    gateway_id: str,
    received_at: datetime,
) -> dict[str, Any]:
    """The report an answer becomes. "La amenaza continúa": a report of the alert's category
    (its first threat type, severity 3). "Ya pasó": a report of "all quiet" (it counts towards no
    threat, so it cannot raise the alert, and it never resolves it). Both say in words that they
    are the community leader's answer to the alert."""
    alert = target.alert
    category = session.get(CategoryContext, alert.category)
    name = category.name_es if category else alert.category
    continues = answer is Answer.continues
    return {
        "id": str(uuid.uuid5(ANSWER_NAMESPACE, gateway_id)),
        "community": alert.community_code,
        "threat_type": threat_type_of(session, alert.category) if continues else "all_quiet",
        "severity": 3 if continues else 1,
        "observed_at": received_at,
        "latitude": None,
        "longitude": None,
        "description": (
            f"Respuesta de la comunidad por SMS a la alerta {alert.id} ({name}): "
            f"{ANSWER_ES[answer]}."
        ),
    }


def record_answer(
    session: Session, *, target: AnswerTarget, answer: Answer, report_id: str, now: datetime
) -> AlertEvent:
    """The answer on the alert's shared timeline (the report's id; no phone, no name)."""
    event = AlertEvent(
        alert_id=target.alert.id,
        kind=ANSWERED_KIND,
        level=target.alert.level,
        at=now,
        actor="community",
        note=f"La comunidad responde: {ANSWER_ES[answer]}.",
        details={"answer": answer.value, "report_id": report_id},
    )
    session.add(event)
    session.flush()
    return event

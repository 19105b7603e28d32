"""Institutions acting together (DESIGN section 12): each routed institution's response to an alert
(notified, acknowledged) and the actions it records from the catalog kept in ``fixtures/actions.yaml``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, utcnow


class ActionStatus(StrEnum):
    """Where an institution's action is; stored as these words in ``alert_action.status``."""

    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    declined = "declined"


# An action in one of these states whose due date has passed is overdue (and reminded).
OPEN_ACTION_STATUSES = (ActionStatus.planned, ActionStatus.in_progress)


class ActionType(Base):
    """One entry of the action catalog (``fixtures/actions.yaml``): what ``institution_code`` may
    record. ``about_code`` names the institution that carries the action out when it is not the
    recording one (MINJUS records "intervención de la PNP solicitada": about PNP). An entry taken
    out of the fixture is kept inactive, so the actions recorded with it keep their label."""

    __tablename__ = "action_type"
    __table_args__ = (UniqueConstraint("institution_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    code: Mapped[str] = mapped_column(String(60))
    label_es: Mapped[str]
    label_en: Mapped[str]
    about_code: Mapped[str | None] = mapped_column(ForeignKey("institution.code"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AlertResponse(Base):
    """One routed institution's response to one alert: when it was first notified, when (and by
    which key, with which note) it acknowledged for itself, and the reminder marks kept per
    institution so reminders and national escalation follow the institutions that have not."""

    __tablename__ = "alert_response"
    __table_args__ = (UniqueConstraint("alert_id", "institution_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    institution_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))  # the key's name
    note: Mapped[str | None] = mapped_column(Text)
    last_reminded_at: Mapped[datetime | None]
    national_escalated_at: Mapped[datetime | None]


class AlertAction(Base):
    """An action an institution records on an alert routed to it: a ``type`` from its catalog, a
    status, an optional due date, a note, and the reason when declined. Who recorded it is the
    key's name (``actor``), never a reporter."""

    __tablename__ = "alert_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    institution_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    type: Mapped[str] = mapped_column(String(60))  # an ActionType.code of the institution
    status: Mapped[str] = mapped_column(String(20))  # an ActionStatus
    due: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # required when declined
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_reminded_at: Mapped[datetime | None]

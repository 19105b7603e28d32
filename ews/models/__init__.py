"""Every ORM model, in one place, so nothing imports in a cycle."""

from ews.models.alerts import (
    Alert,
    AlertEvent,
    AlertStatus,
    AuditAction,
    AuditLog,
    CapMessage,
    Silence,
)
from ews.models.base import Base
from ews.models.checks import CheckSource, FieldCheck, FieldVerdict, Verdict
from ews.models.indicators import (
    Counter,
    IndicatorRollup,
    IndicatorRollupState,
    IndicatorValue,
    JobRun,
    JobStatus,
    PendingWork,
)
from ews.models.intake import (
    DeforestationAlert,
    FireHotspot,
    IngestBatch,
    QuarantineRow,
    Report,
    SmsMessage,
)
from ews.models.keys import ApiKey
from ews.models.outbox import InstitutionDigest, OutboxMessage, OutboxStatus
from ews.models.patrols import Patrol
from ews.models.photos import Photo, PhotoFetch
from ews.models.reference import (
    CategoryContext,
    Community,
    CommunityContact,
    CommunityContactRole,
    Contact,
    FactsheetItem,
    IndicatorRule,
    Institution,
    RoutingRule,
)
from ews.models.responses import ActionStatus, ActionType, AlertAction, AlertResponse

__all__ = [
    "ActionStatus",
    "ActionType",
    "Alert",
    "AlertAction",
    "AlertEvent",
    "AlertResponse",
    "AlertStatus",
    "ApiKey",
    "AuditAction",
    "AuditLog",
    "Base",
    "CapMessage",
    "CategoryContext",
    "CheckSource",
    "Community",
    "CommunityContact",
    "CommunityContactRole",
    "Contact",
    "Counter",
    "DeforestationAlert",
    "FactsheetItem",
    "FieldCheck",
    "FieldVerdict",
    "FireHotspot",
    "IndicatorRollup",
    "IndicatorRollupState",
    "IndicatorRule",
    "IndicatorValue",
    "IngestBatch",
    "Institution",
    "InstitutionDigest",
    "JobRun",
    "JobStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Patrol",
    "PendingWork",
    "Photo",
    "PhotoFetch",
    "QuarantineRow",
    "Report",
    "RoutingRule",
    "Silence",
    "SmsMessage",
    "Verdict",
]

"""Patrols: validate, then store idempotently on the client's UUID (as reports, DESIGN section 4).

Same UUID and same content again: ``duplicate`` (the stored record); same UUID, other content:
``conflict``. Who walked is never stored: the sending key's pseudonym at most.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from ews.fields import PlausibleTime, Text, WholeNumber, field_errors
from ews.intake.idempotent import StoreStatus, insert_once
from ews.intake.tracks import Track, TrackError, check_track, read_geojson
from ews.models import Community, Patrol
from ews.photos.links import PhotoLink
from indicators.coverage import track_length_km

MAX_PATROL_DAYS = 31  # a longer patrol is a phone's lost clock, not a walk


class PatrolIn(BaseModel):
    """A patrol as JSON. A field it does not know is refused, never dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: uuid.UUID = Field(description="UUID generado en el teléfono / client-generated UUID")
    community: Text = Field(min_length=1, max_length=80)
    started_at: PlausibleTime
    ended_at: PlausibleTime
    monitors: WholeNumber = Field(default=1, ge=1, le=500)
    track: Any = Field(
        default=None,
        description="GeoJSON LineString o MultiLineString (lon, lat) / GeoJSON LineString or "
        "MultiLineString (lon, lat)",
    )


class PatrolOut(BaseModel):
    """A stored patrol. Never carries who walked."""

    id: str
    community: str
    started_at: datetime
    ended_at: datetime
    monitors: int
    length_km: float
    points: int
    track: dict[str, Any]
    received_at: datetime
    source: str
    # Photos taken on the patrol (``POST /api/v1/patrols/{id}/photos``), never who took them.
    photos: list[PhotoLink] = Field(default_factory=list)

    @classmethod
    def of(cls, patrol: Patrol) -> PatrolOut:
        return cls(
            id=patrol.id,
            community=patrol.community_code,
            started_at=patrol.started_at,
            ended_at=patrol.ended_at,
            monitors=patrol.monitors,
            length_km=round(patrol.length_km, 3),
            points=patrol.points,
            track=patrol.track,
            received_at=patrol.received_at,
            source=patrol.source,
        )


class PatrolNotForKey(ValueError):
    """A monitor key sent a patrol of another community; ``errors`` holds every error found."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("patrol of another community than the key's")
        self.errors = errors


@dataclass(frozen=True)
class ValidPatrol:
    id: str
    community_code: str
    started_at: datetime
    ended_at: datetime
    monitors: int
    track: dict[str, Any]
    points: int
    length_km: float

    @property
    def content_hash(self) -> str:
        """SHA-256 of the normalized content: the same patrol resent hashes the same."""
        content = {
            "community": self.community_code,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "monitors": self.monitors,
            "track": self.track["coordinates"],
        }
        encoded = json.dumps(content, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def validate_patrol(
    session: Session,
    payload: Any,
    *,
    now: datetime,
    future_tolerance: timedelta,
    community_of_key: str | None = None,
    track: Track | None = None,
) -> tuple[ValidPatrol | None, list[dict[str, str]]]:
    """Check one patrol: ``(patrol, [])`` or ``(None, [{"field", "message"}, ...])``. ``track``
    is the one read from a GPX file or a geotrace; else the payload's ``track`` (GeoJSON).
    ``community_of_key``: a monitor key's community; a patrol of another raises
    :class:`PatrolNotForKey`."""
    if not isinstance(payload, Mapping):
        return None, [_error("body", "se esperaba un objeto JSON / expected a JSON object")]
    errors: list[dict[str, str]] = []
    try:
        model: PatrolIn | None = PatrolIn.model_validate(payload)
    except ValidationError as exc:
        model = None
        errors.extend(field_errors(exc.errors()))
    try:
        if track is None:
            raw = payload.get("track")
            if raw is None:
                raise TrackError("falta la ruta (track) / the track is missing")
            track = read_geojson(raw)
        track = check_track(track)
    except TrackError as exc:
        errors.append(_error("track", exc.message))
        track = None
    if model is None:
        return None, errors
    not_for_key = False
    community = model.community.lower()
    if session.get(Community, community) is None:
        errors.append(
            _error("community", f"comunidad desconocida: {model.community} / unknown community")
        )
    elif community_of_key is not None and community != community_of_key:
        not_for_key = True
        errors.append(
            _error(
                "community",
                f"su clave solo envía patrullajes de {community_of_key} / your key only sends "
                f"patrols of {community_of_key}",
            )
        )
    if model.ended_at < model.started_at:
        errors.append(
            _error(
                "ended_at",
                "el fin es anterior al inicio / the end is before the start",
            )
        )
    elif model.ended_at - model.started_at > timedelta(days=MAX_PATROL_DAYS):
        errors.append(
            _error(
                "ended_at",
                f"un patrullaje dura a lo sumo {MAX_PATROL_DAYS} días; revise las fechas / a "
                f"patrol lasts at most {MAX_PATROL_DAYS} days; check the dates",
            )
        )
    if model.ended_at > now + future_tolerance:
        errors.append(
            _error(
                "ended_at",
                "la fecha está en el futuro; revise el reloj del teléfono / the date is in the "
                "future; check the phone's clock",
            )
        )
    if not_for_key:
        raise PatrolNotForKey(errors)
    if errors or track is None:
        return None, errors
    geojson = track.geojson()
    return (
        ValidPatrol(
            id=str(model.id),
            community_code=community,
            started_at=model.started_at,
            ended_at=model.ended_at,
            monitors=model.monitors,
            track=geojson,
            points=track.points,
            length_km=track_length_km(geojson),
        ),
        [],
    )


def store_patrol(
    session: Session,
    *,
    patrol: ValidPatrol,
    submitter_pseudonym: str,
    source: str,
    source_ref: str | None = None,
    now: datetime,
) -> tuple[StoreStatus, Patrol | None]:
    """Insert ``patrol`` unless its id is known; flushes, never commits. ``created``, or for a
    known id ``duplicate`` (same content) or ``conflict`` (other content), with the stored row
    (``conflict`` and ``None`` when the conflict is on ``(source, source_ref)``)."""
    return insert_once(
        session,
        Patrol,
        {
            "id": patrol.id,
            "community_code": patrol.community_code,
            "started_at": patrol.started_at,
            "ended_at": patrol.ended_at,
            "monitors": patrol.monitors,
            "track": patrol.track,
            "points": patrol.points,
            "length_km": patrol.length_km,
            "received_at": now,
            "submitter_pseudonym": submitter_pseudonym,
            "source": source,
            "source_ref": source_ref,
            "content_hash": patrol.content_hash,
            "synthetic": False,
        },
    )

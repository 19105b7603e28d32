"""Photos kept as evidence of a report, and the Kobo attachments still to fetch.

Neither table names who took a photo: the report keeps its reporter only as a pseudonym.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, utcnow

# Exactly one of the photo's owners is set (a report, a field check or a patrol).
PHOTO_OF_ONE = (
    "(CASE WHEN report_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN check_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN patrol_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Photo(Base):
    """A photo of a report: the hash of the bytes received, and the cleaned image kept on disk
    (``ews.photos.storage``) under its own hash, with a JPEG thumbnail. The same bytes sent again
    for the same report are this row again (unique report and ``sha256``)."""

    __tablename__ = "photo"
    __table_args__ = (
        UniqueConstraint("report_id", "sha256"),
        UniqueConstraint("check_id", "sha256"),
        UniqueConstraint("patrol_id", "sha256"),
        CheckConstraint(PHOTO_OF_ONE, name="of_one"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # What the photo is evidence of: exactly one of a report, a field check, a patrol.
    report_id: Mapped[str | None] = mapped_column(ForeignKey("report.id"), index=True)
    check_id: Mapped[str | None] = mapped_column(ForeignKey("field_check.id"), index=True)
    patrol_id: Mapped[str | None] = mapped_column(ForeignKey("patrol.id"), index=True)
    # SHA-256 of the original bytes, as received (chain of custody).
    sha256: Mapped[str] = mapped_column(String(64))
    original_bytes: Mapped[int] = mapped_column(Integer)
    # The cleaned image stored (metadata removed, orientation applied) and its thumbnail.
    stored_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumbnail_sha256: Mapped[str] = mapped_column(String(64))
    # Whether the monitor let the photo keep its time and GPS position.
    kept_time_and_place: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20))  # api | kobo | web
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhotoFetch(Base):
    """A Kobo ``_attachments`` entry of a stored submission, fetched after the submission was
    stored: ``pending`` until fetched (``done``), retried by the ``fetch-photos`` job; ``refused``
    when it can never be taken (not the configured Kobo server, not an image); ``failed`` after
    the last attempt. ``last_error`` says why, never with the URL (it may carry account names)."""

    __tablename__ = "photo_fetch"
    __table_args__ = (UniqueConstraint("report_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("report.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    keep_time_and_place: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    # Set while one process downloads it, so the request's background fetch and a job run at the
    # same moment do not both fetch it; a crashed fetch is free again after this moment.
    claimed_until: Mapped[datetime | None]
    photo_id: Mapped[str | None] = mapped_column(ForeignKey("photo.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

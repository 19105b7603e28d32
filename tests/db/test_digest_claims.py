"""Once per institution and Lima day: two schedulers (two engines, real commits) racing on the same
day queue each institution's digest once; and any sequence of runs at any moments queues exactly
what a from-scratch oracle says (one digest per institution per Lima day with something to say); a
drill's digest reaches only exercise addresses."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.digest import lima_day
from ews.db import build_engine, build_session_factory, session_scope
from ews.delivery.digests import send_digests
from ews.demo import generate_communities
from ews.jobs.entry_points import deliver_notifications
from ews.models import Community, InstitutionDigest, OutboxMessage
from ews.reference.loader import community_values
from ews.settings import Settings
from tests.support.delivery import (
    DEFENDER_CONTACTS,
    MINJUS,
    SmtpServer,
    add_contact,
    queue_alert,
    with_smtp,
)

# 2026-11-29 10:00 in Lima.
START = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def digest_messages(session: Session) -> list[tuple[str, str]]:
    """(institution, contact id) of every digest message, with the digest's day."""
    rows = session.execute(
        select(InstitutionDigest.institution_code, InstitutionDigest.day, OutboxMessage.contact_id)
        .join(OutboxMessage, OutboxMessage.digest_id == InstitutionDigest.id)
        .order_by(OutboxMessage.id)
    )
    return [(f"{code}:{day}", str(contact)) for code, day, contact in rows]


def test_two_schedulers_racing_queue_each_digest_once(fresh_settings: Settings) -> None:
    engines = [build_engine(fresh_settings) for _ in range(2)]
    try:
        factories = [build_session_factory(engine) for engine in engines]
        with session_scope(factories[0]) as session:
            queue_alert(session, contact_codes=DEFENDER_CONTACTS, at=START - timedelta(hours=2))
        barrier = threading.Barrier(2)
        answers: list[dict[str, object]] = []

        def scheduler(factory: sessionmaker[Session]) -> None:
            barrier.wait()
            answers.append(send_digests(factory, settings=fresh_settings, now=START))

        threads = [threading.Thread(target=scheduler, args=(f,)) for f in factories]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == 2
        statuses = sorted(str(a["institutions"]["MINJUS"]) for a in answers)  # type: ignore[index]
        assert statuses == ["already", "queued"]
        with session_scope(factories[0]) as session:
            assert session.scalar(select(func.count()).select_from(InstitutionDigest)) == len(
                answers[0]["institutions"]  # type: ignore[arg-type]
            )
            messages = digest_messages(session)
        # A critical alert: MINJUS's and DP's regional and national offices, each once.
        assert len(messages) == len(set(messages)) == 4
    finally:
        for engine in engines:
            engine.dispose()


# Each example starts ten days after the previous one: the test's database is shared by them.
EXAMPLES = itertools.count()


@hypothesis_settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offsets=st.lists(st.integers(min_value=0, max_value=3 * 24 * 60), min_size=1, max_size=6))
def test_any_runs_queue_one_digest_per_institution_and_lima_day(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, offsets: list[int]
) -> None:
    """Runs at any minutes of three days, in any order: the digests made are exactly one per
    institution with something open and per Lima day that had a run (the oracle)."""
    start = START + timedelta(days=10 * next(EXAMPLES))
    queue_alert(db, contact_codes=DEFENDER_CONTACTS, at=start - timedelta(hours=2))
    db.commit()
    moments = [start + timedelta(minutes=m) for m in offsets]
    for moment in moments:
        send_digests(session_factory, settings=settings, now=moment)
    expected = {f"{code}:{day}" for code in ("DP", "MINJUS") for day in map(lima_day, moments)}
    db.expire_all()
    days = {lima_day(start + timedelta(days=d)) for d in range(5)}
    made = [key for key, _contact in digest_messages(db) if key.split(":")[1] in map(str, days)]
    # Each institution's regional and national office (a critical alert), each once a day.
    assert set(made) == expected
    assert len(made) == 2 * len(expected)


def test_a_drill_reaches_only_exercise_addresses_and_says_simulacro(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer
) -> None:
    entry = generate_communities(1)[0]
    db.add(Community(code=entry["code"], **community_values(entry)))
    db.flush()
    real = add_contact(
        db,
        code="minjus-real-email",
        institution_code="MINJUS",
        name="MinJUS - oficina real",
        channel="email",
        address="alertas@minjus.gob.pe",
    )
    assert entry["region_ubigeo"] == real.region_ubigeo  # the drill is in its region
    queue_alert(
        db, contact_codes=DEFENDER_CONTACTS, community=entry["code"], at=START - timedelta(hours=2)
    )
    db.commit()
    send_digests(session_factory, settings=settings, now=START)
    db.expire_all()
    contacts = {contact for _key, contact in digest_messages(db)}
    assert str(real.id) not in contacts  # a real address never gets a drill's digest
    deliver_notifications(settings=with_smtp(settings, smtp.port), session_factory=session_factory)
    [mail] = [m for m in smtp.recorder.to(MINJUS) if m["X-EWS-Digest"]]
    assert mail["Subject"].startswith("SIMULACRO")
    assert smtp.recorder.to("alertas@minjus.gob.pe") == []

"""The daily digest as pure data: grouped by community and category, its three sections and counts,
overdue actions by the Lima day, text in Spanish or English, and nothing beyond what it may say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from alerts.digest import (
    DigestAction,
    DigestAlert,
    DigestEvent,
    build_digest,
    digest_from_json,
    render_digest,
)

# 2026-11-29 07:00 in Lima (UTC-5).
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)
DEFENDERS = {"es": "Seguridad de personas defensoras", "en": "Defender safety"}
FIRE = {"es": "Incendios", "en": "Fire"}
PROTECTION = {"es": "Medidas de protección solicitadas", "en": "Protection measures requested"}


def alert(alert_id: int, **values: object) -> DigestAlert:
    base: dict[str, object] = {
        "alert_id": alert_id,
        "community_code": "flor-de-ucayali",
        "community_name": "Flor de Ucayali",
        "region": "Ucayali",
        "category": "defender_safety",
        "category_name": DEFENDERS,
        "level": "high",
        "status": "open",
        "opened_at": NOW - timedelta(hours=30),
        "acknowledged_by_institution": False,
        "url": f"http://ews.example.org/dashboard/alerts/{alert_id}",
    }
    base.update(values)
    return DigestAlert(**base)  # type: ignore[arg-type]


def digest_of(alerts, events=(), actions=()):  # type: ignore[no-untyped-def]
    return build_digest(
        institution_code="MINJUS",
        institution_name={"es": "Ministerio de Justicia", "en": "Ministry of Justice"},
        alerts=alerts,
        events=events,
        actions=actions,
        since=SINCE,
        now=NOW,
    )


def test_groups_by_community_and_category_most_severe_first() -> None:
    digest = digest_of(
        [
            alert(1, level="warning", category="fire", category_name=FIRE),
            alert(
                2, level="critical", community_code="puerto-nuevo", community_name="Puerto Nuevo"
            ),
            alert(3, level="high"),
        ]
    )
    titles = [(g.community_name, g.category, g.level) for g in digest.unacknowledged]
    assert titles == [
        ("Puerto Nuevo", "defender_safety", "critical"),
        ("Flor de Ucayali", "defender_safety", "high"),
        ("Flor de Ucayali", "fire", "warning"),
    ]
    assert digest.counts.open == 3 and digest.counts.unacknowledged == 3


def test_an_alert_acknowledged_by_the_institution_is_open_but_not_in_the_first_section() -> None:
    digest = digest_of(
        [alert(1, acknowledged_by_institution=True), alert(2, status="acknowledged")]
    )
    assert [line.alert_id for g in digest.unacknowledged for line in g.lines] == [2]
    assert (digest.counts.open, digest.counts.unacknowledged) == (2, 1)


def test_actions_overdue_by_the_lima_day_and_pending_done_ones_left_out() -> None:
    today = date(2026, 11, 29)
    digest = digest_of(
        [alert(1)],
        actions=[
            DigestAction(
                1, "protection_requested", PROTECTION, "planned", today - timedelta(days=1)
            ),
            DigestAction(1, "dp_visit", {"es": "Visita", "en": "Visit"}, "in_progress", today),
            DigestAction(
                1, "letter", {"es": "Oficio", "en": "Letter"}, "done", today - timedelta(days=9)
            ),
            DigestAction(1, "other", {"es": "Otra", "en": "Other"}, "declined", None),
        ],
    )
    lines = [(x.type, x.overdue) for g in digest.actions for x in g.lines]
    assert lines == [("protection_requested", True), ("dp_visit", False)]
    assert (digest.counts.overdue, digest.counts.pending) == (1, 1)


def test_changes_are_the_events_since_the_last_digest() -> None:
    digest = digest_of(
        [alert(1), alert(2, status="resolved", category="fire", category_name=FIRE)],
        events=[
            DigestEvent(1, "raised", "warning", SINCE - timedelta(hours=1)),  # before: not a change
            DigestEvent(1, "escalated", "high", SINCE + timedelta(hours=2)),
            DigestEvent(1, "reminded", "high", SINCE + timedelta(hours=3)),  # not a change
            DigestEvent(2, "raised", "warning", SINCE + timedelta(hours=1)),
            DigestEvent(2, "resolved", "warning", SINCE + timedelta(hours=5)),
        ],
    )
    kinds = [(g.category, [x.kind for x in g.lines]) for g in digest.changes]
    assert kinds == [("defender_safety", ["escalated"]), ("fire", ["raised", "resolved"])]
    c = digest.counts
    assert (c.new, c.escalated, c.resolved, c.open) == (1, 1, 1, 1)


def test_nothing_open_nothing_pending_nothing_changed_is_empty() -> None:
    assert digest_of([]).empty
    assert digest_of([alert(1, status="resolved")]).empty
    assert not digest_of([alert(1)]).empty


def test_text_in_spanish_then_english_with_its_sections() -> None:
    digest = digest_of(
        [alert(1)],
        events=[DigestEvent(1, "raised", "high", SINCE + timedelta(hours=1))],
        actions=[
            DigestAction(1, "protection_requested", PROTECTION, "planned", date(2026, 11, 20))
        ],
    )
    es = render_digest(digest, "es-PE")
    assert es.language == "es"
    assert "Resumen diario 2026-11-29 para Ministerio de Justicia" in es.subject
    for heading in (
        "Abiertas y sin acuse de su institución (1)",
        "Acciones vencidas / pendientes (1 vencida(s), 0 pendiente(s))",
        "Qué cambió desde el último resumen (1 nueva(s), 0 escalada(s), 0 resuelta(s))",
        "Flor de Ucayali (Ucayali) - Seguridad de personas defensoras - nivel ALTO",
        "VENCIDA: Medidas de protección solicitadas (planificada, vence el 2026-11-20)",
        "http://ews.example.org/dashboard/alerts/1",
    ):
        assert heading in es.text, heading
    en = render_digest(digest, "en")
    assert "Daily digest 2026-11-29 for Ministry of Justice" in en.subject
    assert "OVERDUE: Protection measures requested (planned, due 2026-11-20)" in en.text
    assert "Open and not acknowledged by your institution (1)" in en.text


def test_the_stored_digest_renders_the_same_text() -> None:
    digest = digest_of(
        [alert(1), alert(2, status="resolved")],
        events=[DigestEvent(2, "resolved", "high", SINCE + timedelta(hours=1))],
        actions=[DigestAction(1, "protection_requested", PROTECTION, "planned", None)],
    )
    again = digest_from_json(digest.as_json())
    assert again == digest
    assert render_digest(again, "es").text == render_digest(digest, "es").text


def test_a_synthetic_community_says_simulacro() -> None:
    digest = digest_of([alert(1, exercise=True)])
    text = render_digest(digest, "es")
    assert text.subject.startswith("SIMULACRO")
    assert "SIMULACRO - Flor de Ucayali" in text.text


def test_the_delivery_log_says_what_a_digest_is_in_words() -> None:
    from ews.web.delivery_words import describe_digest
    from ews.web.i18n import Lang

    digest = digest_of(
        [alert(1), alert(2)],
        actions=[DigestAction(1, "protection_requested", PROTECTION, "planned", date(2026, 11, 2))],
    )
    payload = {"kind": "digest", "day": "2026-11-29", "digest": digest.as_json()}
    assert describe_digest(payload, Lang.es) == (
        "Resumen diario del 2026-11-29: 2 alerta(s) abierta(s) sin acuse, 1 acción(es) "
        "vencida(s) y 0 pendiente(s), 0 alerta(s) nueva(s)."
    )
    assert describe_digest(payload, Lang.en).startswith("Daily digest of 2026-11-29: 2 open")
    # A row whose payload lost its digest still says what it is.
    assert describe_digest({}, Lang.es).startswith("Resumen diario del ?")


def test_acknowledgements_say_which_institution_never_who() -> None:
    digest = digest_of(
        [alert(1)],
        events=[
            DigestEvent(1, "acknowledged", "high", SINCE + timedelta(hours=1), "DP"),
            DigestEvent(1, "acknowledged", "high", SINCE + timedelta(hours=2)),  # an analyst
        ],
    )
    text = render_digest(digest, "es").text
    assert "alerta #1 con acuse de recibo de DP" in text
    assert "alerta #1 con acuse de recibo del equipo de análisis" in text
    assert "acknowledged by DP" in render_digest(digest, "en").text
    assert (digest.counts.new, digest.counts.escalated, digest.counts.resolved) == (0, 0, 0)


LEVELS = ("warning", "high", "critical")
COMMUNITIES = (("flor-de-ucayali", "Flor de Ucayali"), ("puerto-nuevo", "Puerto Nuevo"))
CATEGORIES = (("defender_safety", DEFENDERS), ("fire", FIRE))
KINDS = ("raised", "escalated", "escalated_national", "resolved", "reminded", "deescalated")


@st.composite
def situations(draw: st.DrawFn) -> tuple[list[DigestAlert], list[DigestEvent], list[DigestAction]]:
    alerts = []
    for alert_id in range(1, draw(st.integers(0, 6)) + 1):
        community, name = draw(st.sampled_from(COMMUNITIES))
        category, category_name = draw(st.sampled_from(CATEGORIES))
        alerts.append(
            alert(
                alert_id,
                community_code=community,
                community_name=name,
                category=category,
                category_name=category_name,
                level=draw(st.sampled_from(LEVELS)),
                status=draw(st.sampled_from(("open", "acknowledged", "resolved"))),
                acknowledged_by_institution=draw(st.booleans()),
            )
        )
    ids = st.integers(1, 8)  # some name alerts that are not the institution's: ignored
    hours = st.integers(-30, 30)
    events = draw(
        st.lists(
            st.builds(
                lambda i, k, lv, h: DigestEvent(i, k, lv, NOW + timedelta(hours=h)),
                ids,
                st.sampled_from(KINDS),
                st.sampled_from(LEVELS),
                hours,
            ),
            max_size=10,
        )
    )
    days = st.one_of(st.none(), st.integers(-3, 3).map(lambda d: date(2026, 11, 29) + timedelta(d)))
    actions = draw(
        st.lists(
            st.builds(
                lambda i, s, d: DigestAction(i, "visit", {"es": "Visita"}, s, d),
                ids,
                st.sampled_from(("planned", "in_progress", "done", "declined")),
                days,
            ),
            max_size=6,
        )
    )
    return alerts, events, actions


@given(situations())
def test_sections_and_counts_agree_with_a_plain_oracle(
    situation: tuple[list[DigestAlert], list[DigestEvent], list[DigestAction]],
) -> None:
    alerts, events, actions = situation
    digest = digest_of(alerts, events, actions)
    mine = {a.alert_id: a for a in alerts}
    today = date(2026, 11, 29)
    is_open = {i for i, a in mine.items() if a.status != "resolved"}
    pending = [x for x in actions if x.alert_id in mine and x.status in ("planned", "in_progress")]
    changes = [e for e in events if e.alert_id in mine and SINCE < e.at <= NOW]
    changed = {
        heading: {e.alert_id for e in changes if e.kind in kinds}
        for heading, kinds in (
            ("new", {"raised"}),
            ("escalated", {"escalated", "escalated_national"}),
            ("resolved", {"resolved"}),
        )
    }
    c = digest.counts
    assert c.open == len(is_open)
    assert c.unacknowledged == sum(not mine[i].acknowledged_by_institution for i in is_open)
    assert c.overdue == sum(x.due is not None and x.due < today for x in pending)
    assert c.pending == len(pending) - c.overdue
    assert (c.new, c.escalated, c.resolved) == (
        len(changed["new"]),
        len(changed["escalated"]),
        len(changed["resolved"]),
    )
    for section in (digest.unacknowledged, digest.actions, digest.changes):
        # One group per community and category, each line under its alert's group, most severe
        # group first.
        keys = [(g.community_code, g.category) for g in section]
        assert len(keys) == len(set(keys))
        for group in section:
            for line in group.lines:
                assert (mine[line.alert_id].community_code, mine[line.alert_id].category) == (
                    group.community_code,
                    group.category,
                )
        ranks = [LEVELS.index(g.level) for g in section]
        assert ranks == sorted(ranks, reverse=True)
    assert sum(len(g.lines) for g in digest.changes) == sum(
        e.kind in ("raised", "escalated", "escalated_national", "resolved") for e in changes
    )
    assert digest.empty == (not is_open and not pending and not any(changed.values()))


def test_a_long_digest_lists_the_most_severe_groups_and_counts_the_rest() -> None:
    many = [
        alert(
            i,
            community_code=f"c{i:02d}",
            community_name=f"Comunidad {i:02d}",
            level="critical" if i <= 2 else "warning",
        )
        for i in range(1, 36)
    ]
    digest = build_digest(
        institution_code="MINAM",
        institution_name={"es": "Ministerio del Ambiente"},
        alerts=many,
        events=[],
        actions=[],
        since=SINCE,
        now=NOW,
        queue_url="http://ews.example.org/dashboard?institution=MINAM",
        max_groups=30,
    )
    assert len(digest.unacknowledged) == 30
    assert [g.level for g in digest.unacknowledged[:2]] == ["critical", "critical"]
    assert digest.counts.unacknowledged == 35 and digest.left_out == {"unacknowledged": 5}
    text = render_digest(digest_from_json(digest.as_json()), "es").text
    assert "Abiertas y sin acuse de su institución (35)" in text
    assert (
        "… y 5 grupo(s) más, en la cola de alertas del panel: "
        "http://ews.example.org/dashboard?institution=MINAM"
    ) in text
    assert "and 5 more group(s)" in render_digest(digest, "en").text

"""What a community is told (``alerts.community``): a hypothesis state machine drives an alert's
acknowledgements, actions and closing, tells the community at random moments, and checks each
message against a from-scratch oracle of the facts not yet told; and a leader's answers read in
their usual variants."""

from __future__ import annotations

import pytest
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from alerts.community import (
    MESSAGE_MAX_CHARS,
    PROMPT_ES,
    STATUS_ES,
    Answer,
    CommunityView,
    ToldAction,
    community_message,
    read_answer,
)

INSTITUTIONS = ("MinJUS", "DP", "MINAM", "DEVIDA")
LABELS = ("Medidas de protección solicitadas", "Visita a la comunidad", "Patrullaje conjunto")
STATUSES = ("planned", "in_progress", "done", "declined")
CATEGORY = "Seguridad de personas defensoras"


def facts(view: CommunityView | None) -> set[str]:
    """What a view says, each fact as the words a message uses for it."""
    if view is None:
        return set()
    found = {f"Su alerta de {CATEGORY.lower()} fue recibida."}
    found |= {f"ack:{a}" for a in view.acknowledged}
    found |= {
        f"{a.institution}: {a.label} ({STATUS_ES[a.status]})."
        for a in view.actions
        if a.status in STATUS_ES
    }
    if view.resolved:
        found.add("La alerta fue cerrada.")
    return found


class Telling(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.acks: list[str] = []
        self.actions: dict[int, ToldAction] = {}
        self.resolved = False
        self.told: CommunityView | None = None
        self.messages: list[str] = []

    def view(self) -> CommunityView:
        return CommunityView(
            category=CATEGORY,
            acknowledged=tuple(self.acks),
            actions=tuple(self.actions[k] for k in sorted(self.actions)),
            resolved=self.resolved,
        )

    @rule(institution=st.sampled_from(INSTITUTIONS))
    def acknowledge(self, institution: str) -> None:
        if institution not in self.acks:
            self.acks.append(institution)

    @rule(
        institution=st.sampled_from(INSTITUTIONS),
        label=st.sampled_from(LABELS),
        status=st.sampled_from(STATUSES),
    )
    def record_action(self, institution: str, label: str, status: str) -> None:
        self.actions[len(self.actions)] = ToldAction(institution, label, status)

    @precondition(lambda self: bool(self.actions))
    @rule(data=st.data(), status=st.sampled_from(STATUSES))
    def change_status(self, data: st.DataObject, status: str) -> None:
        key = data.draw(st.sampled_from(sorted(self.actions)))
        old = self.actions[key]
        self.actions[key] = ToldAction(old.institution, old.label, status)

    @rule()
    def resolve(self) -> None:
        self.resolved = True

    @rule()
    def tell(self) -> None:
        current = self.view()
        message = community_message(self.told, current)
        new = facts(current) - facts(self.told)
        if self.told is None and current.resolved:
            # Closed before anything was told: no conversation starts on a closed alert.
            assert message is None
            return
        if not new:
            assert message is None
            return
        assert message is not None and message.startswith("EWS: ")
        assert len(message) <= MESSAGE_MAX_CHARS
        counted = "acciones nuevas o actualizadas" in message
        for fact in new:
            if counted and fact.endswith(")."):
                continue  # too many to list in two SMS segments: counted instead
            if fact.startswith("ack:"):
                assert fact[4:] in message
            else:
                assert fact in message
        # Nothing told before is repeated (an action's old words, an earlier acknowledgement).
        for fact in facts(self.told) - facts(current):
            if not fact.startswith("ack:") and fact.endswith(")."):
                assert fact not in message
        assert message.endswith(PROMPT_ES) != current.resolved
        assert "declined" not in message and "rechaz" not in message
        self.told = current
        self.messages.append(message)

    @invariant()
    def nothing_about_evidence_or_community(self) -> None:
        for message in getattr(self, "messages", []):
            assert "Comunidad" not in message and "gravedad" not in message


TestTelling = Telling.TestCase
TestTelling.settings = hsettings(max_examples=150, stateful_step_count=25, deadline=None)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("1", Answer.continues),
        (" 1 ", Answer.continues),
        ("La amenaza continúa", Answer.continues),
        ("la amenaza continua", Answer.continues),
        ("Sigue", Answer.continues),
        ("todavía están en la trocha", Answer.continues),
        ("no ha pasado", Answer.continues),
        ("2", Answer.ended),
        ("Ya pasó", Answer.ended),
        ("YA PASO!!", Answer.ended),
        ("ya se fueron", Answer.ended),
        ("se acabó", Answer.ended),
        ("hola", None),
        ("3", None),
        ("sigue pero ya pasó", None),
    ],
)
def test_a_leader_answer_is_read_in_its_usual_words(text: str, answer: Answer | None) -> None:
    assert read_answer(text) is answer

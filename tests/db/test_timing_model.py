"""Model-based test of timing (DESIGN section 10), on SQLite and PostgreSQL.

Random interleavings of Kobo reports (the same day, late, edited), FIRMS loads, computations,
evaluations, the fast path, acknowledgements, manual resolves and clock steps (within the day and
across Lima's midnight) run against the real jobs. After every step:

- the stored indicator values equal a from-scratch recomputation (``indicators.compute_all`` over
  every row) of the data the last computation saw: no pending row forgotten, none counted twice,
  evidence listing exactly what each value counted;
- every alert's level and status, which institutions acknowledged it for themselves (an analyst
  acknowledges it as a whole, an institution for itself; DESIGN section 12), and how many alerts
  each category raised, equal what a small reference model derives from the history of the stored
  values, of the reports and of the acknowledgements.

The model judges "new evidence" by its own bookkeeping of when the latest value of each indicator
changed (not by the stored revisions), so a revision that fails to grow is caught. The state machine
is ``tests.support.timing_machine``, the reference model ``tests.support.timing_model``;
``EWS_TIMING_EXAMPLES``, ``EWS_TIMING_STEPS`` and ``EWS_TIMING_SHRINK`` set how deep a run goes.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import Engine

from ews.settings import Settings
from tests.support.timing_machine import TimingMachine

# Example counts: modest by default (CI runs on 2 cores); EWS_TIMING_EXAMPLES for a deeper run.
EXAMPLES = int(os.environ.get("EWS_TIMING_EXAMPLES", "20"))
STEPS = int(os.environ.get("EWS_TIMING_STEPS", "30"))
# Shrinking a failing run to its shortest form can take minutes; EWS_TIMING_SHRINK=0 skips it.
SHRINK = os.environ.get("EWS_TIMING_SHRINK", "1") != "0"


def test_timing_follows_the_reference_model(migrated_engine: Engine, settings: Settings) -> None:
    run_state_machine_as_test(
        lambda: TimingMachine(migrated_engine, settings),
        settings=settings_for_machine(),
    )


def settings_for_machine() -> Any:
    return hypothesis_settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, *([Phase.shrink] if SHRINK else [])],
    )

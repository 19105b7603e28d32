"""The whole synthetic data set of one anchor day: the generated rows and the story."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ews.demo.story import story
from ews.demo.synthetic import (
    generate_alerts,
    generate_communities,
    generate_hotspots,
    generate_reports,
)


@dataclass
class DemoSizes:
    """How many rows of each kind to generate (the story comes on top)."""

    communities: int = 12
    reports: int = 1_500
    hotspots: int = 20_000
    alerts: int = 12_000


@dataclass
class DemoData:
    """One generated data set: its anchor day, the community entries and a frame per table."""

    anchor: date
    communities: list[dict[str, Any]]
    reports: pd.DataFrame
    hotspots: pd.DataFrame
    alerts: pd.DataFrame


def generate(anchor: date, sizes: DemoSizes, *, seed: int = 7) -> DemoData:
    """The whole synthetic data set for ``anchor`` (the last day of data)."""
    rng = np.random.default_rng(seed)
    communities = generate_communities(sizes.communities, seed=seed)
    reports = generate_reports(rng, anchor, communities, sizes.reports)
    hotspots = generate_hotspots(rng, anchor, communities, sizes.hotspots)
    alerts = generate_alerts(rng, anchor, communities, sizes.alerts)
    story_reports, story_alerts = story(anchor, communities[0])
    return DemoData(
        anchor=anchor,
        communities=communities,
        reports=pd.concat([reports, story_reports], ignore_index=True),
        hotspots=hotspots,
        alerts=pd.concat([alerts, story_alerts], ignore_index=True).drop_duplicates(
            ["dataset", "alert_date", "lat_e4", "lon_e4"], keep="last"
        ),
    )

"""Synthetic demonstration data, clearly marked (``synthetic = True``, names ending "(sintético)"):
communities with polygons in the Ucayali basin, patrol reports of every threat type, NASA FIRMS
hotspots with a fire season from August to October and Global Forest Watch alerts, over the thirteen
months before an anchor day. The same generator feeds the indicator benchmark at national scale.

Everything is drawn from a seeded generator and keyed (report ids, feed natural keys), so loading the
same anchor twice adds nothing; ``ews demo`` reuses the anchor of the demo already loaded.
"""

from ews.demo.dataset import DemoData, DemoSizes, generate
from ews.demo.loading import existing_anchor, load_demo
from ews.demo.synthetic import THREAT_TYPES, generate_communities

__all__ = [
    "THREAT_TYPES",
    "DemoData",
    "DemoSizes",
    "existing_anchor",
    "generate",
    "generate_communities",
    "load_demo",
]

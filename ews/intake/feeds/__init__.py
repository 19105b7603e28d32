"""Feed files: NASA FIRMS (VIIRS, MODIS) and Global Forest Watch alerts, one module per format."""

from ews.intake.feeds.errors import FeedError, RowError
from ews.intake.feeds.ingest import FeedSource, IngestSummary, ingest_feed

__all__ = ["FeedError", "FeedSource", "IngestSummary", "RowError", "ingest_feed"]

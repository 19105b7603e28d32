"""Global Forest Watch deforestation alerts (Data API query results): the one place that reads them.

Header: ``latitude,longitude,<dataset>__date,<dataset>__confidence`` and, where present,
``alert_area__ha``. Without it one row is one pixel: 0.09 ha for GLAD-L (30 m), 0.01 ha for the
10 m products (GLAD-S2, RADD, the integrated alerts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ews.fields import EARLIEST_DAY
from ews.intake.feeds.errors import FeedError, RowError, implausible_date, number_in_range

DATASETS = {
    "gfw_integrated_alerts": 0.01,
    "umd_glad_landsat_alerts": 0.09,
    "umd_glad_sentinel2_alerts": 0.01,
    "wur_radd_alerts": 0.01,
}
CONFIDENCE = {"nominal": "nominal", "high": "high", "highest": "highest", "low": "nominal"}
COLUMNS = (
    "dataset",
    "alert_date",
    "latitude",
    "longitude",
    "lat_e4",
    "lon_e4",
    "confidence",
    "area_ha",
)
ParsedRow = tuple[str, str, float, float, int, int, str, float]
Day = date  # GfwLayout has a field named ``date``
LAST_DAY = date.max


@dataclass
class GfwLayout:
    name: str  # the dataset
    latitude: int
    longitude: int
    date: int
    confidence: int | None
    area: int | None
    width: int
    latest: Day = LAST_DAY  # the latest plausible alert date: today (UTC) + 1 day
    _dates: dict[str, str | None] = field(default_factory=dict)

    def parse(self, fields: list[str]) -> ParsedRow:
        if len(fields) < self.width:
            raise RowError(
                f"la fila tiene {len(fields)} columnas, el encabezado {self.width} / the row has "
                f"{len(fields)} columns, the header {self.width}"
            )
        latitude = number_in_range(fields[self.latitude], "latitude", -90.0, 90.0)
        longitude = number_in_range(fields[self.longitude], "longitude", -180.0, 180.0)
        raw = fields[self.date].strip()
        day = self._dates.get(raw, "")
        if day == "":
            try:
                parsed = date.fromisoformat(raw[:10]) if len(raw) in (10, 19) else None
            except ValueError:
                parsed = None
            day = None if parsed is None else parsed.isoformat()
            if parsed is not None and not EARLIEST_DAY <= parsed <= self.latest:
                day = "implausible"
            if len(self._dates) < 10_000:
                self._dates[raw] = day
        if day is None:
            raise RowError(f"{self.name}__date no es AAAA-MM-DD / is not YYYY-MM-DD: {raw!r}")
        if day == "implausible":
            raise implausible_date(f"{self.name}__date", raw, "un día / one day")
        confidence = "nominal"
        if self.confidence is not None:
            raw_confidence = fields[self.confidence].strip().lower()
            found = CONFIDENCE.get(raw_confidence)
            if found is None:
                raise RowError(
                    "confidence debe ser nominal, high o highest / confidence must be nominal, "
                    f"high or highest: {raw_confidence!r}"
                )
            confidence = found
        area = DATASETS[self.name]
        if self.area is not None and fields[self.area].strip():
            area = number_in_range(fields[self.area], "alert_area__ha", 0.0, 1_000_000.0)
        return (
            self.name,
            day,
            latitude,
            longitude,
            round(latitude * 10_000),
            round(longitude * 10_000),
            confidence,
            area,
        )


def detect_layout(header: list[str], *, latest: date = date.max) -> GfwLayout:
    """The layout of a GFW header, or ``FeedError``; alerts dated after ``latest`` or before
    2000-01-01 are refused as implausible."""
    index = {name: position for position, name in enumerate(header)}
    datasets = [name for name in DATASETS if f"{name}__date" in index]
    if len(datasets) != 1 or "latitude" not in index or "longitude" not in index:
        raise FeedError(
            "Formato desconocido: se espera latitude, longitude y <dataset>__date de "
            f"{', '.join(DATASETS)}. Encabezado recibido: {','.join(header)[:200]!r} / Unknown "
            "layout: expected latitude, longitude and one <dataset>__date column."
        )
    dataset = datasets[0]
    positions = {
        "latitude": index["latitude"],
        "longitude": index["longitude"],
        "date": index[f"{dataset}__date"],
        "confidence": index.get(f"{dataset}__confidence"),
        "area": index.get("alert_area__ha"),
    }
    width = max(value for value in positions.values() if value is not None) + 1
    return GfwLayout(name=dataset, width=width, latest=latest, **positions)  # type: ignore[arg-type]

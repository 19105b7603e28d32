"""NASA FIRMS fire hotspots (VIIRS and MODIS): the one place that reads their CSV layouts.

Columns are found by name, so a leading ``country_id``, a trailing ``type`` or a missing
``instrument`` change nothing. Confidence is ``l``/``n``/``h`` or ``low``/``nominal``/``high`` for
VIIRS and 0-100 for MODIS. ``acq_time`` is UTC HHMM and may have lost its leading zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ews.fields import EARLIEST_DAY
from ews.intake.feeds.errors import FeedError, RowError, implausible_date, number_in_range

COLUMNS = (
    "instrument",
    "satellite",
    "acquired_at",
    "latitude",
    "longitude",
    "lat_e4",
    "lon_e4",
    "confidence",
    "confidence_pct",
    "brightness",
    "frp",
    "daynight",
    "version",
)
REQUIRED = ("latitude", "longitude", "acq_date", "acq_time", "satellite", "confidence")
VIIRS_CONFIDENCE = {
    "l": "low",
    "n": "nominal",
    "h": "high",
    "low": "low",
    "nominal": "nominal",
    "high": "high",
}
ParsedRow = tuple[
    str,
    str,
    str,
    float,
    float,
    int,
    int,
    str,
    int | None,
    float | None,
    float | None,
    str | None,
    str | None,
]


def modis_class(percent: int) -> str:
    """FIRMS guidance for MODIS: below 30 low, below 80 nominal, else high."""
    return "low" if percent < 30 else "nominal" if percent < 80 else "high"


def _optional_float(value: str, name: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise RowError(f"{name} no es un número / {name} is not a number: {value!r}") from None


@dataclass
class FirmsLayout:
    """Where each needed column sits in one file's header."""

    name: str  # viirs | modis
    instrument_default: str
    index: dict[str, int]
    width: int
    time_suffix: str = ""  # the engine's timestamp tail, e.g. ".000000" on SQLite
    # The latest plausible acquisition (UTC, naive), set by the ingest from its clock: now + 1 day.
    latest: datetime = datetime.max  # noqa: DTZ901 - naive UTC, compared with the row's text

    def __post_init__(self) -> None:
        self._dates: dict[str, str | None] = {}
        self._latest_day = self.latest.date().isoformat()
        self._latest_text = self.latest.strftime("%Y-%m-%d %H:%M")
        self._get = [
            self.index.get(column)
            for column in (
                "latitude",
                "longitude",
                "acq_date",
                "acq_time",
                "satellite",
                "instrument",
                "confidence",
                "brightness",
                "frp",
                "daynight",
                "version",
            )
        ]

    def _date(self, raw: str) -> str:
        known = self._dates.get(raw, "")
        if known == "":
            try:
                day = date.fromisoformat(raw.strip()) if len(raw.strip()) == 10 else None
            except ValueError:
                day = None
            known = day.isoformat() if day is not None else None
            if day is not None and not EARLIEST_DAY <= day <= self.latest.date():
                known = "implausible"
            if len(self._dates) < 10_000:
                self._dates[raw] = known
        if known is None:
            raise RowError(
                f"acq_date no es una fecha AAAA-MM-DD / acq_date is not a YYYY-MM-DD date: {raw!r}"
            )
        if known == "implausible":
            raise implausible_date("acq_date", raw.strip(), "un día / one day")
        return known

    def parse(self, fields: list[str]) -> ParsedRow:
        """One data row as the values of ``COLUMNS``; ``acquired_at`` as ``YYYY-MM-DD HH:MM:00``."""
        if len(fields) < self.width:
            raise RowError(
                f"la fila tiene {len(fields)} columnas, el encabezado {self.width} / the row has "
                f"{len(fields)} columns, the header {self.width}"
            )
        lat_i, lon_i, date_i, time_i, sat_i, ins_i, conf_i, bri_i, frp_i, dn_i, ver_i = self._get
        assert lat_i is not None and lon_i is not None and date_i is not None
        assert time_i is not None and sat_i is not None and conf_i is not None
        latitude = number_in_range(fields[lat_i], "latitude", -90.0, 90.0)
        longitude = number_in_range(fields[lon_i], "longitude", -180.0, 180.0)
        day = self._date(fields[date_i])
        hhmm = fields[time_i].strip()
        if not hhmm.isdigit() or len(hhmm) > 4:
            raise RowError(f"acq_time no es HHMM / acq_time is not HHMM: {hhmm!r}")
        hhmm = hhmm.zfill(4)
        if int(hhmm[:2]) > 23 or int(hhmm[2:]) > 59:
            raise RowError(f"acq_time no es una hora válida / acq_time is not a valid time: {hhmm}")
        if day == self._latest_day and f"{day} {hhmm[:2]}:{hhmm[2:]}" > self._latest_text:
            raise implausible_date("acq_date/acq_time", f"{day} {hhmm}", "un día / one day")
        satellite = fields[sat_i].strip()
        if not satellite:
            raise RowError("falta satellite / satellite is missing")
        instrument = fields[ins_i].strip().upper() if ins_i is not None else self.instrument_default
        if "\x00" in satellite + instrument + (fields[ver_i] if ver_i is not None else ""):
            raise RowError("la fila tiene un carácter nulo / the row has a NUL character")
        raw_confidence = fields[conf_i].strip().lower()
        percent: int | None = None
        if self.name == "modis":
            if not raw_confidence.isdigit() or int(raw_confidence) > 100:
                raise RowError(
                    f"confidence de MODIS debe ser 0-100 / MODIS confidence must be 0-100: {raw_confidence!r}"
                )
            percent = int(raw_confidence)
            confidence = modis_class(percent)
        else:
            found = VIIRS_CONFIDENCE.get(raw_confidence)
            if found is None:
                raise RowError(
                    "confidence debe ser l/n/h o low/nominal/high / confidence must be l/n/h or "
                    f"low/nominal/high: {raw_confidence!r}"
                )
            confidence = found
        daynight = fields[dn_i].strip().upper()[:1] or None if dn_i is not None else None
        if daynight is not None and daynight not in ("D", "N"):
            raise RowError(f"daynight debe ser D o N / daynight must be D or N: {daynight!r}")
        return (
            instrument or self.instrument_default,
            satellite[:20],
            f"{day} {hhmm[:2]}:{hhmm[2:]}:00{self.time_suffix}",
            latitude,
            longitude,
            round(latitude * 10_000),
            round(longitude * 10_000),
            confidence,
            percent,
            _optional_float(fields[bri_i], "brightness") if bri_i is not None else None,
            _optional_float(fields[frp_i], "frp") if frp_i is not None else None,
            daynight,
            fields[ver_i].strip()[:20] or None if ver_i is not None else None,
        )


def detect_layout(
    header: list[str],
    *,
    latest: datetime = datetime.max,  # noqa: DTZ901 - naive UTC
) -> FirmsLayout:
    """The layout of a FIRMS header, or ``FeedError`` naming what is missing. Rows acquired after
    ``latest`` (naive UTC) or before 2000-01-01 are refused as implausible."""
    index = {name: position for position, name in enumerate(header)}
    if "bright_ti4" in index:
        name, instrument, brightness = "viirs", "VIIRS", "bright_ti4"
    elif "brightness" in index:
        name, instrument, brightness = "modis", "MODIS", "brightness"
    else:
        raise FeedError(
            "Formato desconocido: no es un CSV de FIRMS VIIRS (bright_ti4) ni MODIS (brightness). "
            f"Encabezado recibido: {','.join(header)[:200]!r} / Unknown layout: not a FIRMS VIIRS "
            "(bright_ti4) or MODIS (brightness) CSV."
        )
    missing = [column for column in REQUIRED if column not in index]
    if missing:
        raise FeedError(f"Faltan columnas de FIRMS / FIRMS columns missing: {', '.join(missing)}")
    index["brightness"] = index[brightness]
    return FirmsLayout(
        name=name,
        instrument_default=instrument,
        index=index,
        width=max(index.values()) + 1,
        latest=latest,
    )

"""A chart is its numbers: drawn by Chart.js, shown as a table for everyone, downloadable as CSV.

Views build a `Chart`; `templates/insights/_chart.html` renders the canvas, the data table and
the CSV link from the same object, so the picture, the table and the file cannot disagree.
`static/js/charts.js` draws the canvas from the JSON the template embeds.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.http import StreamingHttpResponse
from django.utils.text import slugify

from socialtraining.csv_download import csv_download

KINDS = ("line", "bar", "stacked-bar")
# How a series is drawn: the subject, a comparison in the background, or a fitted model.
STYLES = ("main", "faint", "dashed")


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]
    style: str = "main"

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"unknown series style {self.style!r}")


@dataclass(frozen=True)
class Chart:
    """One chart: x labels, one or more series of y values (None where there is no data)."""

    id: str
    title: str
    kind: str
    x_label: str
    y_label: str
    labels: list[str]
    series: list[Series]
    # One sentence a screen reader hears instead of the picture, e.g. the curve's half-life.
    summary: str = ""
    y_min: float | None = None
    y_max: float | None = None
    csv_url: str = ""
    fresh_at: datetime | None = None
    unit: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")
        for series in self.series:
            if len(series.values) != len(self.labels):
                raise ValueError(f"series {series.label!r} has the wrong number of values")

    @property
    def is_empty(self) -> bool:
        return not any(value is not None for series in self.series for value in series.values)

    def config(self) -> dict:
        """What static/js/charts.js needs; embedded with json_script."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "y_min": self.y_min,
            "y_max": self.y_max,
            "series": [
                {"label": s.label, "values": s.values, "style": s.style} for s in self.series
            ],
        }

    def rows(self) -> list[tuple[str, list[float | None]]]:
        """The data table: one row per x label, one column per series."""
        return [
            (label, [series.values[i] for series in self.series])
            for i, label in enumerate(self.labels)
        ]

    def csv_rows(self) -> Iterator[list[object]]:
        yield [self.x_label, *(series.label for series in self.series)]
        for label, values in self.rows():
            yield [label, *values]


def chart_csv(chart: Chart, *, name: str) -> StreamingHttpResponse:
    return csv_download(chart.csv_rows(), filename=f"{slugify(name)}-{chart.id}.csv")

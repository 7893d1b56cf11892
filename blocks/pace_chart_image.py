"""Draws the digest's pace chart (domain/pace_chart.py) as a PNG to upload to Slack.

Uses matplotlib's object-oriented API on an Agg canvas, never pyplot: pyplot keeps every
figure in a global registry until it is closed, which leaks memory in a long-running app and is
not safe when two jobs draw at once. Each call here owns its figure and drops it on return.
"""

from __future__ import annotations

import math
from datetime import date
from io import BytesIO

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from domain.pace_chart import PaceChart

# 6 × 3 inches at 150 dpi is 900 × 450 px: text is drawn at 1.5× the usual pixel size, so it
# stays legible in Slack's preview, which shrinks an image to the width of the message column.
WIDTH_INCHES = 6.0
HEIGHT_INCHES = 3.0
DPI = 150
MOST_DATE_LABELS = 10  # a month has up to 31 days; label every n-th so that labels never touch

BAR_COLOUR = "#9ecae1"
DELIVERED_COLOUR = "#08519c"
PACE_COLOUR = "#d94801"


def render_pace_chart(chart: PaceChart) -> bytes:
    """The chart as PNG bytes, WIDTH_INCHES × HEIGHT_INCHES at DPI."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    per_day = figure.add_subplot()
    to_date = per_day.twinx()
    # Day i's bar spans [i - 0.5, i + 0.5]; a running total is known at the end of its day,
    # so the lines step through the right edges, starting from nothing at the month's start.
    positions = list(range(len(chart.days)))
    day_ends = [-0.5, *(position + 0.5 for position in positions)]

    bars = per_day.bar(positions, chart.delivered, width=0.7, color=BAR_COLOUR)
    (delivered_line,) = to_date.plot(
        day_ends,
        [0, *chart.cumulative],
        color=DELIVERED_COLOUR,
        linewidth=2,
        marker="o",
        markersize=3,
        label=f"Delivered to date ({chart.delivered_to_date})",
    )
    # A bar stands in for its container in the legend; Legend takes Artists, not containers.
    handles: list[Artist] = [bars.patches[0], delivered_line]
    labels = ["Delivered that day", str(delivered_line.get_label())]
    highest_to_date: float = chart.delivered_to_date
    expected_to_date = chart.expected_to_date
    if chart.expected is not None and expected_to_date is not None:
        (pace_line,) = to_date.plot(
            day_ends,
            [0.0, *(float(value) for value in chart.expected)],
            color=PACE_COLOUR,
            linewidth=1.5,
            linestyle="--",
            label=(
                f"Pace to {chart.committed}/month "
                f"({math.ceil(expected_to_date)} by {_short(chart.days[-1])})"
            ),
        )
        handles.append(pace_line)
        labels.append(str(pace_line.get_label()))
        highest_to_date = max(highest_to_date, float(expected_to_date))
    if chart.delivered_to_date == 0:
        per_day.text(
            0.5,
            0.55,
            "No sales-ready leads delivered",
            transform=per_day.transAxes,
            ha="center",
            fontsize=9,
            color="#666666",
        )

    figure.suptitle(chart.title, fontsize=10, fontweight="bold")
    per_day.set_xlabel("Day", fontsize=8)
    per_day.set_ylabel("Leads per day", fontsize=8)
    to_date.set_ylabel("Leads to date", fontsize=8)
    _label_days(per_day, chart)
    _integer_axis(per_day, max(chart.delivered, default=0))
    _integer_axis(to_date, highest_to_date)
    # The lines are what the meeting reads; keep them above the bars of the other axes.
    to_date.set_zorder(per_day.get_zorder() + 1)
    to_date.patch.set_visible(False)
    per_day.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    per_day.set_axisbelow(True)
    for axes in (per_day, to_date):
        axes.tick_params(labelsize=7)
        axes.spines["top"].set_visible(False)
    # Below the plot, not in it: inside, the legend would hide the tallest bar of some month.
    figure.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=7,
        frameon=False,
    )

    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _label_days(axes: Axes, chart: PaceChart) -> None:
    step = math.ceil(len(chart.days) / MOST_DATE_LABELS)
    shown = list(range(0, len(chart.days), step))
    axes.set_xticks(shown, [_short(chart.days[index]) for index in shown])
    # A little room beyond the first and last day edges, where the lines start and end.
    axes.set_xlim(-0.7, len(chart.days) - 0.3)


def _integer_axis(axes: Axes, highest: float) -> None:
    # Counts are whole leads; an axis with nothing on it still spans 0 to 1, not ±0.05.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    axes.set_ylim(0, max(highest * 1.05, 1))


def _short(day: date) -> str:
    """'Nov 3': strftime's unpadded day (%-d) is not portable."""
    return f"{day:%b} {day.day}"

"""The digest's pace chart as an image (blocks/pace_chart_image.py): a PNG of the size asked for
that is not blank, with the pace line drawn only where there is a commitment, on a month's first
day and on a month without a lead."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import numpy as np
import numpy.typing as npt
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from blocks.pace_chart_image import BAR_COLOUR, DELIVERED_COLOUR, PACE_COLOUR, render_pace_chart
from domain.pace_chart import PaceChart, pace_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# 6 × 3 inches at 150 dpi.
SIZE = (450, 900)  # rows, columns


def november(
    *, committed: int, through: int = 7, counts: dict[int, int] | None = None
) -> PaceChart:
    return pace_chart(
        delivered_by_day={date(2026, 11, day): n for day, n in (counts or {2: 12, 3: 9}).items()},
        month_start=date(2026, 11, 1),
        month_days=30,
        committed=committed,
        through=date(2026, 11, through),
    )


def decode(png: bytes) -> npt.NDArray[np.float32]:
    assert png.startswith(PNG_SIGNATURE)
    pixels: npt.NDArray[np.float32] = imread(BytesIO(png), format="png")
    return pixels


def pixels_of(image: npt.NDArray[np.float32], colour: str) -> int:
    """How many pixels are exactly `colour` (within one step of 8-bit rounding)."""
    close = np.abs(image[..., :3] - np.array(to_rgb(colour))) <= 1 / 255
    return int(np.all(close, axis=-1).sum())


def distinct_colours(image: npt.NDArray[np.float32]) -> int:
    return len(np.unique(image.reshape(-1, image.shape[-1]), axis=0))


def test_the_chart_is_a_png_of_the_size_slack_shows_well_and_is_not_blank() -> None:
    image = decode(render_pace_chart(november(committed=300)))

    assert image.shape[:2] == SIZE
    assert distinct_colours(image) > 1


def test_the_pace_line_is_drawn_in_its_colour_when_a_commitment_is_set() -> None:
    with_pace = decode(render_pace_chart(november(committed=300)))
    without_pace = decode(render_pace_chart(november(committed=0)))

    assert pixels_of(with_pace, PACE_COLOUR) > 0
    assert pixels_of(without_pace, PACE_COLOUR) == 0
    assert not np.array_equal(with_pace, without_pace)
    # The leads delivered are drawn either way.
    assert pixels_of(without_pace, DELIVERED_COLOUR) > 0


def test_the_months_first_day_draws_as_one_bar() -> None:
    image = decode(render_pace_chart(november(committed=300, through=1, counts={1: 4})))

    assert image.shape[:2] == SIZE
    # One day spans about half the ~780 px plot width (a 0.7-day bar on a 1.4-day axis) and
    # nearly its ~270 px height: some 100,000 px, where the legend's swatch alone is ~300.
    assert pixels_of(image, BAR_COLOUR) > 20_000
    assert pixels_of(image, PACE_COLOUR) > 0
    assert pixels_of(image, DELIVERED_COLOUR) > 0


def test_a_month_without_a_lead_and_without_a_commitment_still_draws() -> None:
    image = decode(render_pace_chart(november(committed=0, through=30, counts={})))

    assert image.shape[:2] == SIZE
    assert distinct_colours(image) > 1
    assert pixels_of(image, DELIVERED_COLOUR) > 0  # the running total, flat along zero


def test_drawing_leaves_no_figure_behind_in_pyplot() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()

    render_pace_chart(november(committed=300))

    assert plt.get_fignums() == before

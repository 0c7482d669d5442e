"""Charts are SVG drawn on the server: labels escaped, losses drawn below the axis."""

from __future__ import annotations

import re

from croupier.backoffice.console.charts import Series, bar_chart


def test_labels_and_names_are_escaped() -> None:
    chart = str(bar_chart("<b>GGR</b>", ["<script>"], [Series("a&b", [5])]))

    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart
    assert "&lt;b&gt;GGR&lt;/b&gt;" in chart
    assert "a&amp;b" in chart


def test_a_day_the_house_lost_goes_below_the_axis() -> None:
    chart = str(bar_chart("GGR", ["mon", "tue"], [Series("GGR", [100, -50])]))

    axis = float(re.search(r'class="axis"[^>]* y1="([\d.]+)"', chart)[1])  # type: ignore[index]
    bars = [
        (float(y), float(h))
        for y, h in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', chart)
    ]
    (won_top, won_height), (lost_top, lost_height) = bars
    assert won_top + won_height == axis
    assert lost_top == axis
    assert won_height == 2 * lost_height

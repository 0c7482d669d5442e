"""Charts drawn on the server as SVG: no chart library, no script, nothing fetched.

A bar chart of a daily series is what the dashboard needs (deposits, withdrawals, GGR
and active players per gaming day); several series share one chart as grouped bars.
Labels are escaped here, so the result can be put into a page as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 640
HEIGHT = 220
_LEFT = 64  # room for the value axis' labels
_BOTTOM = 28  # room for the day labels
_TOP = 12
_COLOURS = ("#2f6fde", "#e07a1f", "#2a9d58", "#b23a48")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "") -> Markup:
    """Grouped bars, one group per label; negative values (a day the house lost) go below zero."""
    values = [v for s in series for v in s.values]
    high, low = max([0, *values]), min([0, *values])
    span = (high - low) or 1
    plot_h = HEIGHT - _TOP - _BOTTOM
    plot_w = WIDTH - _LEFT - 8

    def y(value: int) -> float:
        return _TOP + (high - value) / span * plot_h

    group_w = plot_w / max(len(labels), 1)
    label_every = -(-len(labels) // 8) or 1  # at most eight day labels: they must not overlap
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line class="axis" x1="{_LEFT}" x2="{WIDTH - 8}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>',
        _tick(y(high) + 4, f"{_short(high)}{unit}"),
    ]
    if low < 0:
        parts.append(_tick(y(low), f"{_short(low)}{unit}"))
    for i, label in enumerate(labels):
        x0 = _LEFT + i * group_w + group_w * 0.1
        for j, one in enumerate(series):
            value = one.values[i] if i < len(one.values) else 0
            top, bottom = sorted((y(value), y(0)))
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
                f'height="{max(bottom - top, 0.5):.1f}" fill="{_COLOURS[j % len(_COLOURS)]}">'
                f"<title>{escape(one.name)} {escape(label)}: {value}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text class="tick" x="{x0 + group_w * 0.4:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" data-colour="{j % len(_COLOURS)}"></span>{escape(s.name)}</li>'
        for j, s in enumerate(series)
    )
    caption = f'<figcaption>{escape(title)}<ul class="legend">{legend}</ul></figcaption>'
    # Every piece of text in it was escaped above.
    return Markup(f'<figure class="chart">{"".join(parts)}{caption}</figure>')  # noqa: S704  # nosec B704


def _tick(at: float, text: str) -> str:
    return f'<text class="tick" x="{_LEFT - 6}" y="{at:.1f}" text-anchor="end">{escape(text)}</text>'


def _short(value: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return str(value)

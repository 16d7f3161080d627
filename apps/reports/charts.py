"""Charts as plain SVG from a chart spec — the one chart format for pages and PDFs.

A spec (the contract in the brief; reports return it from ``Report.chart``)::

    {"type": "bar" | "line" | "stacked_bar", "title": str, "categories": [str],
     "series": [{"name": str, "data": [number | None]}], "unit": "count" | "percent" | "seconds"}

Why SVG written here rather than ECharts in a headless browser (decision 0016): WeasyPrint
draws SVG as vectors with no JavaScript and no browser, so a PDF renders in a Celery worker in
well under a second and stays sharp when printed; the pages may draw the same spec with ECharts.

The SVG uses presentation attributes only (no ``style=``, no script), so it may also be
inlined in a page under the Content-Security-Policy. Every text is XML-escaped: series and
category names come from tenant data (queue and agent names).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

CHART_TYPES = ("bar", "line", "stacked_bar")
UNITS = ("count", "percent", "seconds", "score")
PALETTE = ("#2f6fb0", "#e08a1e", "#3a9a5b", "#c0392b", "#7d5ba6", "#8c6d31", "#d45fa0", "#5f7c8a", "#b5a642", "#17a2b8")
FONT = "Noto Sans CJK SC, sans-serif"

WIDTH = 720
HEIGHT = 320
LEFT = 64
RIGHT = 16
TOP = 34
PLOT_BOTTOM_GAP = 28  # room for category labels under the plot
LEGEND_ROW = 16


def _fmt(value: float, unit: str) -> str:
    """A tick or value label: integers without decimals, percentages with %, seconds with s."""
    text = f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.1f}"
    if unit == "percent":
        return text + "%"
    if unit == "seconds":
        return text + "s"
    return text


def nice_ticks(low: float, high: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart);
    ``whole``: no step below 1 (counts have no fractions)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if whole:
        step = max(1, math.ceil(step))
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def validate_spec(spec: dict[str, Any]) -> None:
    """Raise ``ValueError`` when ``spec`` does not follow the chart-spec contract."""
    if spec.get("type") not in CHART_TYPES:
        raise ValueError(f"chart type must be one of {CHART_TYPES}, not {spec.get('type')!r}")
    if spec.get("unit", "count") not in UNITS:
        raise ValueError(f"chart unit must be one of {UNITS}, not {spec.get('unit')!r}")
    categories = spec.get("categories")
    if not isinstance(categories, list | tuple):
        raise ValueError("chart categories must be a list")
    for series in spec.get("series") or []:
        if len(series.get("data") or []) != len(categories):
            raise ValueError(
                f"series {series.get('name')!r} has {len(series.get('data') or [])} values for {len(categories)} categories"
            )


def _legend_rows(names: Sequence[str], width: float) -> list[list[tuple[int, str]]]:
    rows: list[list[tuple[int, str]]] = [[]]
    used = 0.0
    for index, name in enumerate(names):
        needed = 18 + 7 * len(name) + 14  # swatch, text (CJK glyphs are ~2 Latin widths: estimated), gap
        needed += 4 * sum(1 for char in name if ord(char) > 0x2E80)
        if rows[-1] and used + needed > width:
            rows.append([])
            used = 0.0
        rows[-1].append((index, name))
        used += needed
    return rows


def chart_svg(spec: dict[str, Any], *, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The SVG document (a ``<svg>`` element, no XML declaration) drawing ``spec``."""
    validate_spec(spec)
    kind = spec["type"]
    unit = spec.get("unit", "count")
    categories = [str(category) for category in spec["categories"]]
    series: list[dict[str, Any]] = [
        {"name": str(item.get("name", "")), "data": list(item.get("data") or [])} for item in spec.get("series") or []
    ]
    title = str(spec.get("title") or "")

    legend = _legend_rows([item["name"] for item in series], width - LEFT - RIGHT)
    legend_height = LEGEND_ROW * len(legend) if series else 0
    plot_left, plot_right = LEFT, width - RIGHT
    plot_top = TOP
    plot_bottom = height - PLOT_BOTTOM_GAP - legend_height - 6
    plot_width = plot_right - plot_left
    plot_height = max(plot_bottom - plot_top, 20)

    values = [value for item in series for value in item["data"] if value is not None]
    if kind == "stacked_bar" and categories:
        sums = [sum(max(item["data"][i] or 0, 0) for item in series) for i in range(len(categories))]
        high = max(sums + [0])
    else:
        high = max(values + [0])
    low = min(values + [0])
    if unit == "percent" and high <= 100 and low >= 0:
        high = max(high, 1)
    ticks = nice_ticks(low, high if high > low else low + 1, whole=unit == "count")
    y_min, y_max = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return plot_bottom - (value - y_min) / (y_max - y_min) * plot_height

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label={quoteattr(title)} font-family="{FONT}" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        parts.append(
            f'<text x="{plot_left}" y="18" font-size="13" font-weight="bold" fill="#1a1a1a">{escape(title)}</text>'
        )

    # Y axis: grid lines and tick labels.
    parts.append('<g class="chart-y-axis" fill="#555555" text-anchor="end">')
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{plot_left}" y1="{y:.1f}" x2="{plot_right}" y2="{y:.1f}" stroke="#e3e6ea" stroke-width="1"/>'
        )
        parts.append(f'<text x="{plot_left - 6}" y="{y + 4:.1f}">{escape(_fmt(tick, unit))}</text>')
    parts.append("</g>")
    zero_y = y_of(max(y_min, 0))
    parts.append(
        f'<line x1="{plot_left}" y1="{plot_top}" x2="{plot_left}" y2="{plot_bottom}" stroke="#888888" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{plot_left}" y1="{zero_y:.1f}" x2="{plot_right}" y2="{zero_y:.1f}" stroke="#888888" stroke-width="1"/>'
    )

    # X axis: category labels, thinned so that they do not overlap.
    count = len(categories)
    slot = plot_width / count if count else plot_width
    longest = max((len(category) for category in categories), default=1)
    label_every = max(1, math.ceil((longest * 6.5 + 6) / slot)) if count else 1
    parts.append('<g class="chart-x-axis" fill="#555555" text-anchor="middle">')
    for index, category in enumerate(categories):
        if index % label_every:
            continue
        x = plot_left + slot * (index + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{plot_bottom + 15:.1f}">{escape(category)}</text>')
    parts.append("</g>")

    # The data.
    if kind == "bar" and series:
        group = slot * 0.8
        bar = group / len(series)
        for s_index, item in enumerate(series):
            colour = PALETTE[s_index % len(PALETTE)]
            parts.append(f'<g class="chart-series" data-series={quoteattr(item["name"])} fill="{colour}">')
            for index, value in enumerate(item["data"]):
                if value is None:
                    continue
                x = plot_left + slot * index + slot * 0.1 + bar * s_index
                top, bottom = sorted((y_of(value), zero_y))
                parts.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{max(bar - 1, 0.5):.1f}" height="{bottom - top:.1f}"><title>{escape(item["name"])} · {escape(categories[index])}: {escape(_fmt(value, unit))}</title></rect>'
                )
            parts.append("</g>")
    elif kind == "stacked_bar" and series:
        base = [0.0] * count
        bar = slot * 0.7
        for s_index, item in enumerate(series):
            colour = PALETTE[s_index % len(PALETTE)]
            parts.append(f'<g class="chart-series" data-series={quoteattr(item["name"])} fill="{colour}">')
            for index, value in enumerate(item["data"]):
                if not value or value < 0:
                    continue
                x = plot_left + slot * index + slot * 0.15
                top, bottom = y_of(base[index] + value), y_of(base[index])
                base[index] += value
                parts.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar:.1f}" height="{bottom - top:.1f}"><title>{escape(item["name"])} · {escape(categories[index])}: {escape(_fmt(value, unit))}</title></rect>'
                )
            parts.append("</g>")
    elif kind == "line":
        for s_index, item in enumerate(series):
            colour = PALETTE[s_index % len(PALETTE)]
            parts.append(f'<g class="chart-series" data-series={quoteattr(item["name"])}>')
            runs: list[list[str]] = [[]]
            for index, value in enumerate(item["data"]):
                if value is None:  # a gap: the line breaks rather than drawing through zero
                    runs.append([])
                    continue
                x = plot_left + slot * (index + 0.5)
                runs[-1].append(f"{x:.1f},{y_of(value):.1f}")
            for points in runs:
                if len(points) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'
                    )
                if len(points) <= 12:
                    for point in points:
                        x_text, y_text = point.split(",")
                        parts.append(f'<circle cx="{x_text}" cy="{y_text}" r="2.5" fill="{colour}"/>')
            parts.append("</g>")

    # Legend.
    if series:
        parts.append('<g class="chart-legend" fill="#1a1a1a">')
        y = plot_bottom + PLOT_BOTTOM_GAP + 4
        for row in legend:
            x = float(plot_left)
            for s_index, name in row:
                colour = PALETTE[s_index % len(PALETTE)]
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{colour}"/>')
                parts.append(f'<text x="{x + 14:.1f}" y="{y + 9:.1f}">{escape(name)}</text>')
                x += 18 + 7 * len(name) + 14 + 4 * sum(1 for char in name if ord(char) > 0x2E80)
            y += LEGEND_ROW
        parts.append("</g>")
    if not values:
        parts.append(
            f'<text x="{(plot_left + plot_right) / 2:.1f}" y="{(plot_top + plot_bottom) / 2:.1f}" text-anchor="middle" fill="#888888">–</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)

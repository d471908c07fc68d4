"""The trend charts of the scorecard pages: inline, accessible SVG whose
y-axis is fitted to the data (scores between 80 and 90 fill the chart
instead of a tenth of a 0–100 axis)."""

from __future__ import annotations

from markupsafe import Markup, escape

from gridcity.scorecards.presentation.display import fmt_score, fmt_tick, nice_scale, tick_values

PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563"]


def svg_line_chart(
    months: list[str], series: list[tuple[str, list]], title: str, width=640, height=220
) -> Markup:
    """One line per series over the months, with round ticks on an axis
    that spans the data."""
    left, right, top, bottom = 48, 150, 16, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(months), 1)
    low, high, step = nice_scale(v for _, values in series for v in values)

    def x(i):
        return left + (plot_w * (i + 0.5) / n)

    def y(v):
        v = max(low, min(high, v))
        return top + plot_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg class="trend-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'data-y-min="{low:g}" data-y-max="{high:g}">',
        f"<title>{escape(title)}</title>",
    ]
    for v in tick_values(low, high, step):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid-line"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="axis">{fmt_tick(v, step)}</text>'
        )
    for i, m in enumerate(months):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="middle" class="axis">{m[2:]}</text>'
        )
    for k, (label, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            if v is not None:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(label)} {months[i]}: {fmt_score(v)}</title></circle>"
                )
        ly = top + 14 * k + 6
        parts.append(
            f'<rect x="{left + plot_w + 10}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + plot_w + 24}" y="{ly + 1}" class="legend">{escape(label[:14])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

"""Synthetic subdivision of a fishnet, for the demo city and benchmarks, where
only the district outline is real: cells grouped into streets, communities and
work grids of whole cells, so each cell lies in exactly one of each."""

from __future__ import annotations

from collections.abc import Sequence

from gridcity.geo.fishnet import Cell


def strips_west_to_east(cells: Sequence[Cell], weights: Sequence[float]) -> list[list[Cell]]:
    """Cut into ``len(weights)`` groups of whole fishnet columns, west first,
    holding about ``weights`` shares of the cells."""
    ordered = sorted(cells, key=lambda c: (c.col, c.row, c.part))
    total, groups, start = sum(weights), [], 0
    cumulative = 0.0
    for n, weight in enumerate(weights):
        cumulative += weight
        if n == len(weights) - 1:
            end = len(ordered)
        else:
            end = round(len(ordered) * cumulative / total)
            # Move the cut to a column boundary.
            while 0 < end < len(ordered) and ordered[end].col == ordered[end - 1].col:
                end += 1
        groups.append(ordered[start:end])
        start = end
    return groups


def bisect(cells: Sequence[Cell], parts: int) -> list[list[Cell]]:
    """Recursive bisection into ``parts`` compact groups of near-equal size,
    cutting across the longer side each time; returned north-west first."""
    if parts <= 1 or len(cells) <= 1:
        return [list(cells)]
    rows = [c.row for c in cells]
    cols = [c.col for c in cells]
    if max(cols) - min(cols) >= max(rows) - min(rows):
        ordered = sorted(cells, key=lambda c: (c.col, c.row, c.part))
    else:
        ordered = sorted(cells, key=lambda c: (c.row, c.col, c.part))
    left_parts = parts // 2
    cut = round(len(ordered) * left_parts / parts)
    return bisect(ordered[:cut], left_parts) + bisect(ordered[cut:], parts - left_parts)


def shares(total: int, weights: Sequence[int], minimum: int = 1) -> list[int]:
    """Split ``total`` items in proportion to ``weights`` (largest remainder),
    each getting at least ``minimum``."""
    base = [minimum] * len(weights)
    rest = total - sum(base)
    whole = sum(weights)
    exact = [rest * w / whole for w in weights]
    counts = [int(e) for e in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)[
        : rest - sum(counts)
    ]:
        counts[i] += 1
    return [b + c for b, c in zip(base, counts)]

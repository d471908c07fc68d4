"""Figures as a publication shows them: scores and changes without "−0.00",
ranks among the subjects a page shows, the contest's cards in plain words,
and a chart axis fitted to its data. Pure functions: the pages, the exports
and the tests call them alike."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

from gridcity.web.ui_text import ui_text

MINUS = "−"  # U+2212, as the contest's deductions are printed
CHINESE_NUMBERS = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}


def fmt_score(value: float | None) -> str:
    """A score with two decimals; ``—`` for none (no data, no grade)."""
    if value is None:
        return "—"
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def fmt_change(value: float | None, language: str = "zh") -> str:
    """A change from last month: ``+1.25``, ``−0.50``, and 持平 when it
    rounds to nothing (never "−0.00"); ``—`` when last month has no score."""
    if value is None:
        return "—"
    rounded = round(float(value), 2)
    if rounded == 0:
        return ui_text("sc_change_none", language)
    return f"+{rounded:.2f}" if rounded > 0 else f"{MINUS}{-rounded:.2f}"


def change_direction(value: float | None) -> str:
    """``up`` / ``down`` / ``""`` by the change as shown (a change that rounds
    to zero is no change)."""
    if value is None or round(float(value), 2) == 0:
        return ""
    return "up" if value > 0 else "down"


def fmt_deduction(points: float | None) -> str:
    """Points taken off (``−1.5``); ``0`` when none (never "−0.0")."""
    if points is None:
        return "—"
    rounded = round(float(points), 1)
    return "0" if rounded == 0 else f"{MINUS}{abs(rounded):.1f}"


def sibling_ranks(scores: Sequence[float | None]) -> list[int | None]:
    """Ranks among the subjects shown, given their scores best first (the
    table's order): 1 for the best, equal scores share a rank and the next
    rank skips (1, 2, 2, 4); a subject without a score has no rank."""
    order = sorted(
        (i for i, s in enumerate(scores) if s is not None), key=lambda i: -round(float(scores[i]), 2)
    )
    ranks: list[int | None] = [None] * len(scores)
    previous, rank = None, 0
    for position, i in enumerate(order, start=1):
        score = round(float(scores[i]), 2)
        if score != previous:
            rank, previous = position, score
        ranks[i] = rank
    return ranks


def nice_scale(values: Iterable[float | None], ticks: int = 5) -> tuple[float, float, float]:
    """An axis ``(low, high, step)`` that fits the data with round ticks
    (steps of 1, 2, 2.5 or 5 × 10ⁿ): 78–92 gives 75–95 by 5s, not 0–100.
    Scores stay within 0..100."""
    data = [float(v) for v in values if v is not None]
    if not data:
        return 0.0, 100.0, 25.0
    low, high = min(data), max(data)
    if high - low < 1e-9:  # one value (or all equal): a band around it
        low, high = low - 5, high + 5
    raw = (high - low) / max(ticks - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    low = math.floor(low / step + 1e-9) * step
    high = math.ceil(high / step - 1e-9) * step
    if min(data) >= 0 and low < 0:
        low = 0.0
    if max(data) <= 100 and high > 100:
        high = 100.0
    if high <= low:
        high = low + step
    return low, high, step


def tick_values(low: float, high: float, step: float) -> list[float]:
    count = int(round((high - low) / step))
    return [round(low + k * step, 6) for k in range(count + 1)]


def fmt_tick(value: float, step: float) -> str:
    """A tick label with as many decimals as the step needs (80, 82.5)."""
    decimals = max(0, -Decimal(str(round(step, 6))).normalize().as_tuple().exponent)
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


# ---------------------------------------------------------------- the contest's cards


def _reason_parts(reason: str | None) -> dict[str, str]:
    parts = {}
    for rule in (reason or "").split(";"):
        kind, _, value = rule.partition(":")
        if kind and value:
            parts[kind] = value
    return parts


def _count_words(value: str, language: str) -> str:
    try:
        n = int(float(value))
    except ValueError:
        return value
    return CHINESE_NUMBERS.get(n, str(n)) if language == "zh" else str(n)


def card_text(color: str, reason: str | None, language: str) -> str:
    """Why a street holds its contest card, as a bulletin says it:
    末位黄牌（本月排名末位）, 连续两个月黄牌升红牌（本月排名末位）."""
    parts = _reason_parts(reason)
    why = ""
    if "last_places" in parts:
        n = parts["last_places"]
        why = (
            ui_text("sc_card_why_last", language)
            if n in ("1", "1.0")
            else ui_text("sc_card_why_last_n", language).format(n=_count_words(n, language))
        )
    elif "below" in parts:
        why = ui_text("sc_card_why_below", language).format(n=parts["below"])
    if color == "red" and "consecutive_yellow" in parts:
        months = _count_words(parts["consecutive_yellow"], language)
        head = ui_text("sc_card_red_streak", language).format(n=months)
    elif "last_places" in parts:
        head = ui_text("sc_card_yellow_last", language)
    elif "below" in parts:
        head = ui_text("sc_card_yellow_below", language)
    else:
        head = ui_text(f"sc_card_{color}", language)
    return f"{head}（{why}）" if why and language == "zh" else f"{head} ({why})" if why else head

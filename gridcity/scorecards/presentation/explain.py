"""Every figure explains itself: an indicator's formula written out in the
reader's words and with the month's own numbers (按期结案率 = 按期结案 / 应结案数
= 79 / 82 = 96.3 %), the counting rule it follows (DOMAIN.md §7.1), and how
the score is made from the indicators.

Formulas are the definition set's text (``closed_on_time / should_close``);
they are read here with :mod:`ast` into a small tree and written back with
count names and with numbers, so an edited definition explains itself too.
Nothing here computes a figure the engine publishes: the value shown is the
engine's; the numbers are the counts it was computed from.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gridcity.scorecards.scoring.indicators import tier_means
from gridcity.web.ui_text import UI_TEXT, ui_text

_SYMBOLS = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "/"}
_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}


@dataclass
class Explanation:
    """One figure, explained: ``text`` is the one line for a tooltip
    (formula with numbers and the value); ``lines`` the same in parts for a
    popover; ``empty`` when there was nothing to count (0/0)."""

    value: str
    lines: list[str]
    empty: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# ---------------------------------------------------------------- numbers


def fmt_number(value: float | int | None, decimals: int = 2) -> str:
    """A count as it is (79), a mean with up to ``decimals`` places (9.6),
    never "-0"."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_percent(value: float | None) -> str:
    """A rate (0..1) as ``96.3 %``; ``—`` for no value."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}"
    return f"{'0.0' if text == '-0.0' else text} %"


# ---------------------------------------------------------------- formulas


def parse(formula: str) -> ast.expr | None:
    """The formula's tree, or None when it does not parse (shown as is)."""
    try:
        return ast.parse((formula or "").strip(), mode="eval").body
    except SyntaxError:
        return None


def names_in(tree: ast.expr | None) -> set[str]:
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def is_rate(formula: str) -> bool:
    """A rate is a division of counts (shown in %); a comparison with the
    tier's mean (``avg_…``) is a plain ratio."""
    tree = parse(formula)
    if tree is None:
        return False
    has_division = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) for n in ast.walk(tree))
    return has_division and not any(name.startswith("avg_") for name in names_in(tree))


def write(tree: ast.expr, leaf: Callable[[str], str], parent: int = 0, right: bool = False) -> str:
    """The tree as text, names written by ``leaf``, with only the
    parentheses the reading needs."""
    if isinstance(tree, ast.BinOp) and type(tree.op) in _SYMBOLS:
        mine = _PRECEDENCE[type(tree.op)]
        text = f"{write(tree.left, leaf, mine)} {_SYMBOLS[type(tree.op)]} {write(tree.right, leaf, mine, right=True)}"
        return f"({text})" if mine < parent or (right and mine == parent) else text
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        return f"−{write(tree.operand, leaf, 3)}"
    if isinstance(tree, ast.UnaryOp):
        return write(tree.operand, leaf, parent, right)
    if isinstance(tree, ast.Name):
        return leaf(tree.id)
    if isinstance(tree, ast.Constant):
        return fmt_number(tree.value)
    return "?"


def divides_by_zero(tree: ast.expr, values: dict[str, float]) -> bool:
    """Whether any division in the formula has a zero divisor."""

    def walk(node) -> float:
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div):
                if right == 0:
                    raise ZeroDivisionError
                return left / right
            return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}[type(node.op)]
        if isinstance(node, ast.UnaryOp):
            v = walk(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Name):
            return float(values.get(node.id, 0) or 0)
        if isinstance(node, ast.Constant):
            return float(node.value)
        return 0.0

    try:
        walk(tree)
    except (ZeroDivisionError, KeyError):
        return True
    return False


# ---------------------------------------------------------------- words


def term_name(name: str, language: str) -> str:
    """A count's name in the reader's words (``avg_filed`` → 同级平均立案数)."""
    if name.startswith("avg_"):
        return ui_text("sc_explain_average", language).format(count=term_name(name[4:], language))
    key = f"sc_count_{name}"
    return ui_text(key, language) if key in UI_TEXT else ui_text("sc_explain_unknown_term", language)


def rule_text(code: str, language: str) -> str:
    """The rule an indicator follows, in one line."""
    key = f"sc_rule_{code}"
    return ui_text(key if key in UI_TEXT else "sc_rule_default", language)


def averages(rows: Iterable, names: set[str]) -> dict[str, float]:
    """``avg_<count>`` over the tier's subjects, as the engine takes it
    (:func:`~gridcity.scorecards.scoring.indicators.tier_means`: over the
    subjects that have data)."""
    wanted = [n[4:] for n in names if n.startswith("avg_")]
    if not wanted:
        return {}
    rows = list(rows)
    count_names = list(dict.fromkeys(c for r in rows for c in (r.counts or {})))
    means = tier_means([[(r.counts or {}).get(c, 0) for c in count_names] for r in rows]) if rows else []
    return {f"avg_{c}": float(means[count_names.index(c)]) if c in count_names else 0.0 for c in wanted}


# ---------------------------------------------------------------- explanations


def explain_indicator(
    name: str,
    code: str,
    formula: str,
    value: float | None,
    counts: dict[str, int],
    language: str,
    means: dict[str, float] | None = None,
) -> Explanation:
    """``name = formula in words = formula in numbers = value`` and its rule.
    A value of None (0/0: nothing to count) is shown "—" and said to be left
    out of the score (§7.1 rule 9)."""
    tree = parse(formula)
    rate = is_rate(formula)
    shown = "—" if value is None else fmt_percent(value) if rate else f"{value:.2f}"
    if tree is None:
        return Explanation(shown, [f"{name} = {formula} = {shown}", rule_text(code, language)], value is None)
    values = {**counts, **(means or {})}
    words = write(tree, lambda n: term_name(n, language))
    numbers = write(tree, lambda n: fmt_number(values.get(n, 0), 3))
    empty = value is None or divides_by_zero(tree, values)
    if value is None:
        result = f"{numbers} = —（{ui_text('sc_explain_no_data', language)}）"
    elif empty:  # the definition gives a value to an empty denominator
        result = f"{numbers}：{ui_text('sc_explain_if_empty', language).format(value=shown)}"
    else:
        result = f"{numbers} = {shown}"
    lines = [f"{name} = {words}", f"{name} = {result}", rule_text(code, language)]
    return Explanation(shown, lines, empty)


def explain_score(
    indicators: dict[str, dict], score: float | None, names: dict[str, str], language: str
) -> Explanation:
    """How the score is made: the weighted mean of the indicator scores that
    have data (the others are left out and the weights rescaled)."""
    counted = [(code, ind) for code, ind in indicators.items() if ind.get("value") is not None]
    left_out = [names.get(code, code) for code, ind in indicators.items() if ind.get("value") is None]
    shown = "—" if score is None else f"{score:.2f}"
    words = ui_text("sc_explain_score_words", language)
    if not counted or score is None:
        return Explanation(shown, [words, ui_text("sc_explain_no_grade", language)], True)
    total = sum(float(ind.get("weight") or 0) for _, ind in counted)
    parts = " + ".join(
        f"{float(ind.get('score') or 0):.2f} × {fmt_number(ind.get('weight'))}" for _, ind in counted
    )
    lines = [words, f"= ({parts}) / {fmt_number(total)} = {shown}"]
    if left_out:
        lines.append(ui_text("sc_explain_left_out", language).format(names="、".join(left_out)))
    lines.append(ui_text("sc_rule_score", language))
    return Explanation(shown, lines)


def explain_leader_score(
    own: float | None, team: float | None, rule: dict | None, score: float | None, language: str
) -> Explanation:
    """A leader's score: own × own-weight + team × team-weight (the tier rule)."""
    shown = "—" if score is None else f"{score:.2f}"
    words = ui_text("sc_explain_leader_words", language)
    if own is None and team is not None:
        return Explanation(shown, [words, f"= {ui_text('sc_team_score', language)} = {shown}"])
    if team is None and own is not None:
        return Explanation(shown, [words, f"= {ui_text('sc_own_score', language)} = {shown}"])
    if own is None or team is None or not rule:
        return Explanation(shown, [words], score is None)
    total = float(rule["own"]) + float(rule["team"])
    numbers = (
        f"= ({own:.2f} × {fmt_number(rule['own'])} + {team:.2f} × {fmt_number(rule['team'])})"
        f" / {fmt_number(total)} = {shown}"
    )
    return Explanation(shown, [words, numbers])


class Explainer:
    """The explanations of one table's figures, in one language: the
    formulas of the definition set the table was computed with, and the
    tier's means for indicators that compare with them."""

    def __init__(self, table, document: dict | None, language: str):
        self.table = table
        self.language = language
        items = (document or {}).get("tiers", {}).get(table.tier, [])
        self.formulas = {i["code"]: i.get("formula", "") for i in items}
        self.rule = (document or {}).get("tier_rules", {}).get(table.tier)
        self.effective_from = (document or {}).get("effective_from")
        self._means: dict[str, float] | None = None

    def name(self, indicator: dict) -> str:
        return indicator.get("name_zh" if self.language == "zh" else "name_en") or ""

    def means(self) -> dict[str, float]:
        if self._means is None:
            needed = (
                set().union(*(names_in(parse(f)) for f in self.formulas.values())) if self.formulas else set()
            )
            self._means = averages(self.table.rows, needed)
        return self._means

    def indicator(self, row, code: str) -> Explanation:
        ind = row.indicators.get(code)
        if ind is None:
            return Explanation("—", [ui_text("sc_explain_no_data", self.language)], True)
        formula = self.formulas.get(code) or ind.get("formula", "")
        means = self.means() if "avg_" in formula else None
        return explain_indicator(
            self.name(ind), code, formula, ind.get("value"), row.counts, self.language, means
        )

    def score(self, row) -> Explanation:
        if row.own_score is not None or row.team_score is not None or not row.indicators:
            ex = explain_leader_score(row.own_score, row.team_score, self.rule, row.score, self.language)
        else:
            names = {code: self.name(ind) for code, ind in row.indicators.items()}
            ex = explain_score(row.indicators, row.score, names, self.language)
        return Explanation(ex.value, [*ex.lines, self.settings_line()], ex.empty)

    def settings_line(self) -> str:
        """The settings version the table was scored with, and since when it is in force."""
        month = self.effective_from or "0000-01"
        return ui_text("sc_explain_settings_version", self.language).format(
            version=self.table.definition_version,
            month=ui_text("as_from_beginning", self.language) if month == "0000-01" else month,
        )

    def definition(self, code: str, indicator: dict) -> str:
        """An indicator's formula in words and its rule (a column's tooltip)."""
        name = self.name(indicator)
        tree = parse(self.formulas.get(code) or indicator.get("formula", ""))
        words = write(tree, lambda n: term_name(n, self.language)) if tree is not None else ""
        return (
            f"{name} = {words}\n{rule_text(code, self.language)}" if words else rule_text(code, self.language)
        )


def explain_contest_score(full: float, score: float | None, language: str) -> Explanation:
    """A contest score: the full score less every item's deductions (an
    item never below zero)."""
    shown = "—" if score is None else f"{score:.2f}"
    words = ui_text("sc_explain_contest_words", language)
    if score is None:
        return Explanation(shown, [words], True)
    taken = round(float(full) - float(score), 2)
    return Explanation(shown, [words, f"= {fmt_number(full)} − {fmt_number(taken)} = {shown}"])

"""Indicator definitions as data: the default definition set (DOMAIN.md §7)
over the counts the engine produces (``counting/counts.py``), a small safe
formula language, and the versioned storage of edited sets.

A definition set is one JSON document::

    {"tiers": {tier: [{"code", "name_zh", "name_en", "formula", "weight",
                       "scale", "when_empty", "if_empty"}]},
     "grades": [{"grade": "A", "min": 90}, …],          # highest first
     "tier_rules": {tier: {"own": 0.4, "team": 0.6}},  # leader tiers
     "limits_minutes": {"accept": 30, "file": 60, "dispatch": 60, "close": 60},
     "appeals": {"window_working_days": 5}}              # 考核申诉 window

An indicator's value is its formula over the subject's counts (and ``avg_<count>``,
the mean of that count over the tier's subjects that have data — for volume
indicators; :func:`tier_means`);
its score is ``clamp(value × scale, 0, 100)``; the subject's score is the
weighted sum of its indicator scores divided by the total weight of the
indicators that have a value.

No data is not 100 % (DOMAIN.md §7.1 rule 9): a formula that divides by zero
(a rate over an empty denominator) has no value, by the indicator's
``when_empty``:

- ``"rescale"`` (the default): the indicator is left out of the subject's
  score and the other indicators' weights are rescaled to it (weights 40 / 30
  / 30 with the last one empty count 40/70 and 30/70);
- ``"value"``: the definition says otherwise — the indicator takes
  ``if_empty`` as its value (e.g. ``1`` for "nothing was due: full marks").

A subject with no data at all (every count of its tier zero), or whose every
weighted indicator is empty, gets no score, no grade and no rank. Sets stored
before this rule name no ``when_empty``: they rescale too (their ``if_empty``
of 1 was the old blanket default, not a choice).
"""

from __future__ import annotations

import ast
import copy
import operator

from sqlalchemy import func, select

from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.scorecards.counting.counts import COUNT_DOCS, LEADER_TIERS, SCORED_TIERS, TIER_COUNTS

# What an indicator does over an empty denominator (see the module docstring).
WHEN_EMPTY = ("rescale", "value")


def _ind(code, zh, en, formula, weight, scale=100.0, when_empty="rescale", if_empty=None) -> dict:
    return {
        "code": code,
        "name_zh": zh,
        "name_en": en,
        "formula": formula,
        "weight": weight,
        "scale": scale,
        "when_empty": when_empty,
        "if_empty": if_empty,
    }


_AREA = [
    _ind("report_rate", "监督上报率", "Supervision-report rate", "inspector_reported / reported", 10),
    _ind("filed_volume", "立案数（较同级均值）", "Filed count (vs. the tier mean)", "filed / avg_filed", 20),
    _ind("closure_rate", "结案率", "Closure rate", "closed / should_close", 30),
    _ind("on_time_closure_rate", "按期结案率", "On-time closure rate", "closed_on_time / should_close", 40),
]

# 群众满意度 (issue 18): citizens' ratings of closed cases. Shown with its
# formula, weight 0: it changes no score until a city gives it a weight.
_SATISFACTION = _ind("satisfaction_rate", "群众满意度", "Citizen satisfaction", "rated_satisfied / rated", 0)

DEFAULT_DOCUMENT: dict = {
    "tiers": {
        **{t: copy.deepcopy(_AREA) for t in ("unit_grid", "work_grid", "area")},
        "street": [*copy.deepcopy(_AREA), dict(_SATISFACTION)],
        "district": copy.deepcopy(_AREA),
        # DOMAIN.md gives no unit weights; this default follows the area's
        # emphasis on timely closing.
        "unit": [
            _ind(
                "on_time_handling_rate",
                "按期处置率",
                "On-time handling rate",
                "handled_on_time / handled",
                40,
            ),
            _ind("closure_rate", "结案率", "Closure rate", "closed / should_close", 30),
            _ind(
                "first_time_fix_rate",
                "一次处置合格率",
                "Fixed first time",
                "(handled - rework) / handled",
                20,
            ),
            _ind("return_free_rate", "无回退率", "Not returned", "(dispatched - returned) / dispatched", 10),
            dict(_SATISFACTION),
        ],
        "inspector": [
            _ind("valid_report_rate", "有效上报率", "Valid-report rate", "valid / reported", 40),
            _ind("not_missed_rate", "未漏报率", "1 − missed rate", "1 - missed / grid_valid", 20),
            _ind("on_time_verify_rate", "按时核实率", "On-time verify", "verified_on_time / verified", 20),
            _ind("on_time_check_rate", "按时核查率", "On-time check", "checked_on_time / checked", 20),
        ],
        "operator": [
            _ind("volume", "受理量", "Volume (vs. the tier mean)", "accepted / avg_accepted", 25),
            _ind(
                "on_time_verify_dispatch",
                "按时派发核实",
                "On-time verify dispatch",
                "accepted_verify_on_time / accepted_verify",
                40,
            ),
            # Check tasks go out automatically when the unit reports the
            # handling; the operator's other timed step is accepting an
            # inspector's report.
            _ind(
                "on_time_direct_accept",
                "按时受理监督员上报",
                "On-time accept of inspector reports",
                "accepted_direct_on_time / accepted_direct",
                35,
            ),
        ],
        "shift_leader": [
            _ind("on_time_filing", "按时立案率", "On-time filing", "filed_on_time / filed", 25),
            _ind("accurate_filing", "准确立案率", "Accurate filing", "(filed - voided) / filed", 40),
            _ind("on_time_closing", "按时结案率", "On-time closing", "closed_promptly / closed", 35),
        ],
        "dispatcher": [
            _ind("volume", "派遣量", "Volume (vs. the tier mean)", "dispatched / avg_dispatched", 20),
            _ind("on_time_dispatch", "按时派遣率", "On-time dispatch", "dispatched_on_time / dispatched", 40),
            _ind(
                "accurate_dispatch",
                "准确派遣率",
                "Accurate dispatch",
                "(dispatched - dispatched_reworked) / dispatched",
                40,
            ),
        ],
    },
    "grades": [
        {"grade": "A", "min": 90},
        {"grade": "B", "min": 75},
        {"grade": "C", "min": 60},
        {"grade": "D", "min": 40},
        {"grade": "E", "min": 0},
    ],
    # A leader's score = own × own-weight + mean of the team × team-weight.
    # group leader: own = their inspector score, team = the inspectors of the
    # group's work grids; area head: own = the area's score, team = the area's
    # group leaders; center head: own = the districts' mean, team = area heads.
    "tier_rules": {
        "group_leader": {"own": 0.4, "team": 0.6},
        "area_head": {"own": 0.4, "team": 0.6},
        "center_head": {"own": 0.4, "team": 0.6},
    },
    "limits_minutes": {"accept": 30, "file": 60, "dispatch": 60, "close": 60},
    # 考核申诉: a counted case may be contested until the end of the n-th
    # working day (work calendar) after the month closes.
    "appeals": {"window_working_days": 5},
}

# ---------------------------------------------------------------- formulas

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class DivisionByZero(Exception):
    pass


class Formula:
    """A parsed formula: names, numbers, + - * / and parentheses only."""

    def __init__(self, text: str, allowed_names: set[str] | None = None):
        if not isinstance(text, str) or not text.strip():
            raise GridCityError("bad_request", detail="a formula is required")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            raise GridCityError("bad_request", detail=f"formula {text!r} does not parse") from None
        self.text = text
        self.names: set[str] = set()
        self._check(tree.body, text)
        unknown = self.names - allowed_names if allowed_names is not None else set()
        if unknown:
            raise GridCityError(
                "bad_request", detail=f"formula {text!r} uses unknown names: {', '.join(sorted(unknown))}"
            )
        self._tree = tree.body

    def _check(self, node, text: str) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            self._check(node.left, text)
            self._check(node.right, text)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            self._check(node.operand, text)
        elif isinstance(node, ast.Name):
            self.names.add(node.id)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            pass
        else:
            raise GridCityError(
                "bad_request",
                detail=f"formula {text!r}: only names, numbers, + - * / and parentheses are allowed",
            )

    def evaluate(self, values: dict[str, float]) -> float:
        """The value; raises :class:`DivisionByZero` on a zero divisor."""
        return float(self._eval(self._tree, values))

    def _eval(self, node, values):
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, values), self._eval(node.right, values)
            if isinstance(node.op, ast.Div) and right == 0:
                raise DivisionByZero
            return _OPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, values)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Name):
            return values.get(node.id, 0)
        return node.value


def allowed_names(tier: str) -> set[str]:
    counts = TIER_COUNTS[tier]
    return set(counts) | {f"avg_{c}" for c in counts}


# ---------------------------------------------------------------- validation


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GridCityError("bad_request", detail=f"{what} must be a number")
    return float(value)


def validate(document: dict) -> dict:
    """A clean copy of a definition document, or a 400 saying what is wrong."""
    if not isinstance(document, dict):
        raise GridCityError("bad_request", detail="the definitions must be a JSON object")
    tiers = document.get("tiers")
    if not isinstance(tiers, dict):
        raise GridCityError("bad_request", detail="tiers must be an object of tier → indicators")
    clean: dict = {"tiers": {}}
    for tier in SCORED_TIERS:
        items = tiers.get(tier)
        if not isinstance(items, list) or not items:
            raise GridCityError("bad_request", detail=f"tier {tier} needs a non-empty list of indicators")
        seen, out = set(), []
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise GridCityError("bad_request", detail=f"{tier} indicator {n} must be an object")
            code = item.get("code")
            if not isinstance(code, str) or not code.strip() or code in seen:
                raise GridCityError("bad_request", detail=f"{tier} indicator {n} needs a unique code")
            seen.add(code)
            Formula(item.get("formula"), allowed_names(tier))
            weight = _number(item.get("weight"), f"{tier}.{code}.weight")
            if weight < 0:
                raise GridCityError("bad_request", detail=f"{tier}.{code}.weight must not be negative")
            when_empty = item.get("when_empty", "rescale")
            if when_empty not in WHEN_EMPTY:
                raise GridCityError(
                    "bad_request", detail=f"{tier}.{code}.when_empty must be one of {', '.join(WHEN_EMPTY)}"
                )
            if_empty = None
            if when_empty == "value":
                if item.get("if_empty") is None:
                    raise GridCityError(
                        "bad_request", detail=f'{tier}.{code}: when_empty "value" needs an if_empty number'
                    )
                if_empty = _number(item["if_empty"], f"{tier}.{code}.if_empty")
            out.append(
                {
                    "code": code,
                    "name_zh": str(item.get("name_zh") or code),
                    "name_en": str(item.get("name_en") or code),
                    "formula": item["formula"],
                    "weight": weight,
                    "scale": _number(item.get("scale", 100.0), f"{tier}.{code}.scale"),
                    "when_empty": when_empty,
                    "if_empty": if_empty,
                }
            )
        if sum(i["weight"] for i in out) <= 0:
            raise GridCityError("bad_request", detail=f"tier {tier}: the weights add up to zero")
        clean["tiers"][tier] = out
    unknown = set(tiers) - set(SCORED_TIERS)
    if unknown:
        raise GridCityError("bad_request", detail=f"unknown tiers: {', '.join(sorted(unknown))}")
    grades = document.get("grades")
    if not isinstance(grades, list) or not grades:
        raise GridCityError("bad_request", detail="grades must be a list of {grade, min}")
    bands = []
    for g in grades:
        if not isinstance(g, dict) or not isinstance(g.get("grade"), str):
            raise GridCityError("bad_request", detail="each grade needs a grade letter and a min score")
        bands.append({"grade": g["grade"], "min": _number(g.get("min"), f"grade {g['grade']} min")})
    bands.sort(key=lambda b: -b["min"])
    if bands[-1]["min"] > 0:
        raise GridCityError("bad_request", detail="the lowest grade must start at 0")
    clean["grades"] = bands
    rules = document.get("tier_rules", {})
    if not isinstance(rules, dict):
        raise GridCityError("bad_request", detail="tier_rules must be an object")
    clean["tier_rules"] = {}
    for tier in LEADER_TIERS:
        rule = rules.get(tier, DEFAULT_DOCUMENT["tier_rules"][tier])
        if not isinstance(rule, dict):
            raise GridCityError("bad_request", detail=f"tier_rules.{tier} must be {{own, team}}")
        own, team = _number(rule.get("own"), f"{tier}.own"), _number(rule.get("team"), f"{tier}.team")
        if own < 0 or team < 0 or own + team <= 0:
            raise GridCityError("bad_request", detail=f"tier_rules.{tier}: weights must be ≥ 0, not both 0")
        clean["tier_rules"][tier] = {"own": own, "team": team}
    limits = document.get("limits_minutes", {})
    if not isinstance(limits, dict):
        raise GridCityError("bad_request", detail="limits_minutes must be an object")
    clean["limits_minutes"] = {}
    for step, default in DEFAULT_DOCUMENT["limits_minutes"].items():
        value = _number(limits.get(step, default), f"limits_minutes.{step}")
        if value <= 0:
            raise GridCityError("bad_request", detail=f"limits_minutes.{step} must be positive")
        clean["limits_minutes"][step] = value
    appeals = document.get("appeals", DEFAULT_DOCUMENT["appeals"])
    if not isinstance(appeals, dict):
        raise GridCityError("bad_request", detail="appeals must be an object")
    window = appeals.get("window_working_days", DEFAULT_DOCUMENT["appeals"]["window_working_days"])
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 60:
        raise GridCityError(
            "bad_request", detail="appeals.window_working_days must be a whole number of days from 0 to 60"
        )
    clean["appeals"] = {"window_working_days": window}
    return clean


# ---------------------------------------------------------------- storage

# The effective month of the versions in force from the beginning.
BEGINNING = "0000-01"


def current_set():
    """The newest stored settings version (the one a new draft starts from),
    creating version 1 (the defaults) on first use."""
    from gridcity.scorecards.models import IndicatorSet

    row = db.session.scalar(select(IndicatorSet).order_by(IndicatorSet.version.desc()).limit(1))
    if row is None:
        row = IndicatorSet(
            version=1,
            document=validate(DEFAULT_DOCUMENT),
            contest_rules=None,
            effective_from=BEGINNING,
            note="初始默认设置（通行的指标、权重与等级）",
            created_at=utcnow(),
        )
        db.session.add(row)
        db.session.flush()
    return row


def set_for_month(month: str):
    """The settings version month ``month`` ("YYYY-MM") is assessed with:
    the newest version in force by then (``effective_from`` ≤ month). The one
    place that answers "which settings apply to month M"."""
    from gridcity.scorecards.models import IndicatorSet

    current_set()
    return db.session.scalar(
        select(IndicatorSet)
        .where(IndicatorSet.effective_from <= month)
        .order_by(IndicatorSet.version.desc())
        .limit(1)
    )


def first_open_month() -> str:
    """The first month a new settings version may take effect from: the
    month after the latest frozen one (a frozen month never changes), or
    the beginning when nothing is frozen."""
    from gridcity.scorecards.counting.engine import shift_month
    from gridcity.scorecards.models import ScorecardVersion

    latest = db.session.scalar(select(func.max(ScorecardVersion.month)))
    return BEGINNING if latest is None else shift_month(latest, 1)


def get_set(version: int | None = None):
    from gridcity.scorecards.models import IndicatorSet

    if version is None:
        return current_set()
    row = db.session.scalar(select(IndicatorSet).where(IndicatorSet.version == version))
    if row is None:
        from gridcity.core.errors import NotFound

        raise NotFound("not_found", what=f"indicator definitions version {version}")
    return row


def definition_document(version: int | None = None) -> dict:
    row = get_set(version)
    return {
        "version": row.version,
        "effective_from": row.effective_from,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        **row.document,
        "counts": COUNT_DOCS,
    }


def store_version(document: dict, contest_rules: dict | None, user, note: str, effective_from: str) -> int:
    """Add a settings version (already checked by the caller; the caller
    commits). Versions take effect in the order they are made."""
    from gridcity.scorecards.models import IndicatorSet

    current_set()
    latest = db.session.scalar(select(func.max(IndicatorSet.version)))
    row = IndicatorSet(
        version=latest + 1,
        document=document,
        contest_rules=contest_rules,
        effective_from=effective_from,
        note=note or "",
        created_at=utcnow(),
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    return row.version


def save_definitions(document: dict, user=None, note: str = "") -> int:
    """Store edited indicator definitions as the next version, the contest
    rules unchanged, in force from the first month not frozen (the caller
    commits)."""
    latest = current_set()
    effective = max(first_open_month(), latest.effective_from)
    return store_version(validate(document), latest.contest_rules, user, note, effective)


def empty_value(item: dict) -> float | None:
    """What a definition's indicator takes over an empty denominator: None
    (left out, the other weights rescaled) unless it says ``"value"``."""
    return item.get("if_empty") if item.get("when_empty", "rescale") == "value" else None


def grade_for(score: float | None, grades: list[dict]) -> str | None:
    """The grade of a score; no score, no grade."""
    if score is None:
        return None
    for band in grades:
        if score >= band["min"]:
            return band["grade"]
    return grades[-1]["grade"]


# ---------------------------------------------------------------- vectorised evaluation


def tier_means(matrix):
    """``avg_<count>`` of a tier: each count's mean over the subjects that
    have data (a row per subject, a column per count). DOMAIN.md §7.1 rule
    9: a subject with no data at all is no zero to average in (it would
    lower the mean every volume indicator compares with); a tier where
    nobody has data has means of zero."""
    import numpy as np

    matrix = np.asarray(matrix, dtype=float).reshape(len(matrix), -1)
    with_data = matrix[matrix.any(axis=1)]
    return with_data.mean(axis=0) if len(with_data) else np.zeros(matrix.shape[1])


def evaluate_many(formula: Formula, values: dict, size: int, if_empty: float | None = None):
    """The formula over numpy arrays of counts (one entry per subject); where
    any division in it has a zero divisor the result is ``if_empty``, or NaN
    (no value) when that is None."""
    import numpy as np

    def walk(node):
        if isinstance(node, ast.BinOp):
            (left, lbad), (right, rbad) = walk(node.left), walk(node.right)
            bad = lbad | rbad
            if isinstance(node.op, ast.Div):
                zero = right == 0
                safe = np.where(zero, 1.0, right)
                return left / safe, bad | zero
            return _OPS[type(node.op)](left, right), bad
        if isinstance(node, ast.UnaryOp):
            v, bad = walk(node.operand)
            return (-v if isinstance(node.op, ast.USub) else v), bad
        if isinstance(node, ast.Name):
            v = values.get(node.id)
            arr = np.zeros(size) if v is None else np.broadcast_to(np.asarray(v, dtype=float), (size,))
            return arr, np.zeros(size, dtype=bool)
        return np.full(size, float(node.value)), np.zeros(size, dtype=bool)

    value, bad = walk(formula._tree)
    return np.where(bad, np.nan if if_empty is None else if_empty, value)

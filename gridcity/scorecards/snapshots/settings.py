"""Assessment settings as versions (考核设置, issue 17 item 6): what the admin
console, the API and ``gridcity scorecards settings`` all call.

A settings version is one ``IndicatorSet`` row: the indicator definitions
(per tier: indicators, formulas, weights; grade bands; tier rules; time
limits; the appeal window), the sanitation contest's check items and card
rules, and the month it takes effect from. Month M is assessed with the
newest version in force by M (``indicators.set_for_month``); a frozen month
keeps the version it was frozen with, and no version may take effect in or
before a frozen month, so a frozen month never changes.

Saving checks the whole draft first (weights of a tier add up to 100 %,
grade bands from high to low down to 0, contest rules, the effective month)
and stores nothing on a refusal; what changed is audited in words
(``assessment_settings.save``), the same words the diff shows.
"""

from __future__ import annotations

import ast
import copy
import re

from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.core.errors import FieldError, GridCityError
from gridcity.extensions import db
from gridcity.scorecards.counting.counts import LEADER_TIERS, SCORED_TIERS, TIER_COUNTS
from gridcity.scorecards.models import IndicatorSet
from gridcity.scorecards.scoring import contest, indicators
from gridcity.web.ui_text import UI_TEXT, ui_text

SETTINGS_KIND = "assessment_settings"
SAVE_ACTION = "assessment_settings.save"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# What a draft holds besides the contest rules (the indicator document's keys).
DOCUMENT_KEYS = ("tiers", "grades", "tier_rules", "limits_minutes", "appeals")
CONTEST_PATROL_KINDS = ("night", "holiday", "month_end")
NOTE_LIMIT = 500


# ---------------------------------------------------------------- reading


def settings_of(row: IndicatorSet) -> dict:
    """One version as data: its indicator document, ``contest`` (items and
    card rules) and when / by whom / why it was made."""
    return {
        "version": row.version,
        "effective_from": row.effective_from,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by.display_name if row.created_by else None,
        **copy.deepcopy(row.document),
        "contest": copy.deepcopy(contest.rules_of(row)),
    }


def get_version(version: int | None = None) -> IndicatorSet:
    """A stored version (404 when there is none), or the newest."""
    return indicators.get_set(version)


def draft() -> dict:
    """What a new version starts from: the newest version's settings."""
    return editable(settings_of(indicators.current_set()))


def editable(settings: dict) -> dict:
    """Only the settings of a version document (no version, dates or names)."""
    return {**{k: settings[k] for k in DOCUMENT_KEYS if k in settings}, "contest": settings.get("contest")}


def versions(month_now: str) -> list[dict]:
    """Every version, newest first, with who / when / note / effective month;
    ``in_force`` marks the one this month (``month_now``) is assessed with."""
    indicators.current_set()
    rows = list(db.session.scalars(select(IndicatorSet).order_by(IndicatorSet.version.desc())))
    now = indicators.set_for_month(month_now).version
    return [
        {
            "version": r.version,
            "effective_from": r.effective_from,
            "note": r.note,
            "created_at": r.created_at.isoformat(),
            "created_by": r.created_by.display_name if r.created_by else None,
            "in_force": r.version == now,
        }
        for r in rows
    ]


def predecessor(version: int) -> IndicatorSet | None:
    return db.session.scalar(
        select(IndicatorSet)
        .where(IndicatorSet.version < version)
        .order_by(IndicatorSet.version.desc())
        .limit(1)
    )


def changes_of(row: IndicatorSet, language: str) -> list[str]:
    """What a version changed against the one before it, in words."""
    before = predecessor(row.version)
    if before is None:
        return []
    return diff_lines(editable(settings_of(before)), editable(settings_of(row)), language)


def preview(settings: dict, language: str) -> tuple[int, list[str]]:
    """A draft checked, and what it would change against the newest
    version in words (nothing is stored)."""
    document, rules = check(settings)
    base = indicators.current_set()
    return base.version, diff_lines(editable(settings_of(base)), {**document, "contest": rules}, language)


# ---------------------------------------------------------------- checking


def _weight_total(items: list[dict]) -> float:
    return round(sum(i["weight"] for i in items), 6)


def check(settings: dict) -> tuple[dict, dict]:
    """The indicator document and contest rules of a draft, checked, or a
    refusal saying what is wrong (nothing is stored either way)."""
    if not isinstance(settings, dict):
        raise GridCityError("bad_request", detail="the settings must be a JSON object")
    _check_bands(settings.get("grades"))
    document = indicators.validate({k: settings[k] for k in DOCUMENT_KEYS if k in settings})
    for tier in SCORED_TIERS:
        total = _weight_total(document["tiers"][tier])
        if abs(total - 100) > 1e-6:
            raise FieldError(
                f"weights-{tier}",
                "settings_weights_not_100",
                status=422,
                tier=ui_text(f"sc_tier_{tier}", "zh"),
                tier_en=ui_text(f"sc_tier_{tier}", "en"),
                total=f"{total:g}",
            )
    rules = contest.validate_rules(settings.get("contest") or {})
    for rule in rules["card_rules"]:
        value = rule["value"]
        whole = value == int(value)
        if rule["kind"] == "last_places" and (not whole or value < 1):
            raise FieldError("card-last_places", "settings_card_last_places", status=422)
        if rule["kind"] == "consecutive_yellow" and (not whole or value < 2):
            raise FieldError("card-consecutive_yellow", "settings_card_consecutive", status=422)
        if rule["kind"] == "below" and value > 100:
            raise FieldError("card-below", "settings_card_below", status=422)
    return document, rules


def _check_bands(grades) -> None:
    """Grade bands as given: from the highest down, each starting below the
    one before, the lowest at 0 (so they join up with no gap or overlap).
    Bands that are not even {grade, min} are left to ``indicators.validate``."""
    well_formed = isinstance(grades, list) and all(
        isinstance(b, dict)
        and isinstance(b.get("grade"), str)
        and isinstance(b.get("min"), (int, float))
        and not isinstance(b.get("min"), bool)
        for b in grades
    )
    if not well_formed or not grades:
        return
    seen: set[str] = set()
    previous = None
    for band in grades:
        grade, low = band["grade"].strip(), band["min"]
        if not grade or grade in seen:
            raise FieldError("grades", "settings_band_repeated", status=422, grade=grade or "—")
        seen.add(grade)
        if not 0 <= low <= 100:
            raise FieldError("grades", "settings_band_range", status=422, grade=grade)
        if previous is not None and low >= previous[1]:
            raise FieldError(
                "grades", "settings_band_order", status=422, grade=grade, above=previous[0], min=f"{low:g}"
            )
        previous = (grade, low)
    if previous is None or previous[1] != 0:
        raise FieldError("grades", "settings_band_bottom", status=422)


def check_effective(month: str) -> str:
    """The effective month of a new version: YYYY-MM, not in or before a
    frozen month, and not before the newest version's."""
    if not isinstance(month, str) or not _MONTH.match(month.strip()):
        raise FieldError("effective_from", "settings_effective_bad", status=422)
    month = month.strip()
    first = indicators.first_open_month()
    if month < first:
        raise FieldError("effective_from", "settings_effective_frozen", status=422, first=first)
    newest = indicators.current_set().effective_from
    if month < newest:
        raise FieldError("effective_from", "settings_effective_order", status=422, month=newest)
    return month


def default_effective() -> str:
    """The effective month a change without one takes: the first month not
    frozen (or the newest version's, if later)."""
    return max(indicators.first_open_month(), indicators.current_set().effective_from)


# ---------------------------------------------------------------- saving


def save_version(settings: dict, user, note: str, effective_from: str | None) -> IndicatorSet:
    """Check a draft and store it as the next version, in force from
    ``effective_from`` (None: the first month not frozen); audited with what
    changed, before → after (the caller commits)."""
    if not isinstance(note, str) or not note.strip():
        raise FieldError("note", "settings_note_required", status=422)
    if len(note.strip()) > NOTE_LIMIT:
        raise FieldError("note", "settings_note_too_long", status=422, max=NOTE_LIMIT)
    document, rules = check(settings)
    effective = default_effective() if effective_from is None else check_effective(effective_from)
    current = indicators.current_set()
    before = editable(settings_of(current))
    after = {**document, "contest": rules}
    pairs = diff_pairs(before, after, "zh")
    if not pairs:
        raise GridCityError("settings_unchanged", status=422, version=current.version)
    version = indicators.store_version(document, rules, user, note.strip(), effective)
    row = get_version(version)
    audit.record(
        SAVE_ACTION,
        user,
        object_kind=SETTINGS_KIND,
        object_id=row.id,
        object_label=f"v{version} · {effective_text(effective, 'zh')}",
        before={"版本": current.version, **{label: old for label, old, _ in pairs}},
        after={
            "版本": version,
            "生效月份": effective_text(effective, "zh"),
            **{label: new for label, _, new in pairs},
        },
        note=note.strip(),
    )
    return row


def effective_text(month: str, language: str) -> str:
    return ui_text("as_from_beginning", language) if month == indicators.BEGINNING else month


# ---------------------------------------------------------------- formulas in words


def _term(name: str, language: str) -> str:
    if name.startswith("avg_"):
        return ui_text("sc_explain_average", language).format(count=_term(name[4:], language))
    key = f"sc_count_{name}"
    return ui_text(key, language) if key in UI_TEXT else name


def formula_words(formula: str, language: str) -> str:
    """A formula with each count named in words (``closed / should_close`` →
    ``结案数 / 应结案数``)."""
    return re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: _term(m.group(0), language), formula or "")


def formula_from_words(text: str, tier: str) -> str:
    """A formula written in words (either language) back in count names;
    a word that names no count of the tier is refused."""
    if not isinstance(text, str) or not text.strip():
        raise FieldError(f"formula-{tier}", "settings_formula_required", status=422)
    allowed = indicators.allowed_names(tier)
    vocabulary = {}
    for name in allowed:
        for language in ("zh", "en"):
            vocabulary[_term(name, language)] = name
        vocabulary[name] = name
    out = text.replace("−", "-").replace("×", "*").replace("÷", "/").replace("（", "(").replace("）", ")")
    # Longest words first, so 按期结案 is not read as 结案 plus a rest.
    pattern = "|".join(re.escape(w) for w in sorted(vocabulary, key=len, reverse=True))
    replaced = re.sub(pattern, lambda m: f" {vocabulary[m.group(0)]} ", out)
    leftover = re.sub(r"[A-Za-z_][A-Za-z0-9_]*|[\d.]+|[-+*/() ]", "", replaced)
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", replaced))
    if leftover.strip() or names - allowed:
        unknown = leftover.strip() or ", ".join(sorted(names - allowed))
        raise FieldError(f"formula-{tier}", "settings_formula_words", status=422, word=unknown[:40])
    return canonical(replaced)


def canonical(formula: str) -> str:
    """A formula written one way (spaces and parentheses as the reading
    needs), so two spellings of one formula compare equal."""
    try:
        return ast.unparse(ast.parse((formula or "").strip(), mode="eval"))
    except SyntaxError:
        return " ".join((formula or "").split())


# ---------------------------------------------------------------- the diff in words


def _n(value) -> str:
    return "—" if value is None else f"{float(value):g}"


def _w(key: str, language: str, **params) -> str:
    return ui_text(key, language).format(**params)


def diff_pairs(old: dict, new: dict, language: str) -> list[tuple[str, str, str]]:
    """What changed from settings ``old`` to ``new``: ``(what, before,
    after)`` in words, e.g. ``("街道 · 按期结案率 权重", "40 %", "35 %")``."""
    out: list[tuple[str, str, str]] = []
    none = "—"
    for tier in SCORED_TIERS:
        tier_name = ui_text(f"sc_tier_{tier}", language)
        before = {i["code"]: i for i in old.get("tiers", {}).get(tier, [])}
        after = {i["code"]: i for i in new.get("tiers", {}).get(tier, [])}
        for code in dict.fromkeys([*before, *after]):
            a, b = before.get(code), after.get(code)
            name = (b or a)["name_zh" if language == "zh" else "name_en"]
            what = f"{tier_name} · {name}"
            if a is None or b is None:
                weight = _w("as_diff_weight_value", language, n=_n((a or b)["weight"]))
                out.append((f"{what}", none if a is None else weight, none if b is None else weight))
                continue
            if a["weight"] != b["weight"]:
                out.append(
                    (
                        f"{what} {ui_text('as_diff_weight', language)}",
                        _w("as_diff_percent", language, n=_n(a["weight"])),
                        _w("as_diff_percent", language, n=_n(b["weight"])),
                    )
                )
            if canonical(a["formula"]) != canonical(b["formula"]):
                out.append(
                    (
                        f"{what} {ui_text('as_diff_formula', language)}",
                        formula_words(a["formula"], language),
                        formula_words(b["formula"], language),
                    )
                )
            for field in ("name_zh", "name_en"):
                if a[field] != b[field]:
                    out.append((f"{what} {ui_text('as_diff_' + field, language)}", a[field], b[field]))
            if a.get("scale") != b.get("scale"):
                out.append(
                    (f"{what} {ui_text('as_diff_scale', language)}", _n(a.get("scale")), _n(b.get("scale")))
                )
            if (a.get("when_empty"), a.get("if_empty")) != (b.get("when_empty"), b.get("if_empty")):
                out.append(
                    (
                        f"{what} {ui_text('as_diff_when_empty', language)}",
                        _empty_text(a, language),
                        _empty_text(b, language),
                    )
                )
    out += _grade_pairs(old.get("grades", []), new.get("grades", []), language)
    for tier in LEADER_TIERS:
        a, b = old.get("tier_rules", {}).get(tier), new.get("tier_rules", {}).get(tier)
        if a != b:
            out.append(
                (
                    f"{ui_text(f'sc_tier_{tier}', language)} · {ui_text('as_diff_own_team', language)}",
                    _own_team(a, language),
                    _own_team(b, language),
                )
            )
    for step in indicators.DEFAULT_DOCUMENT["limits_minutes"]:
        a = old.get("limits_minutes", {}).get(step)
        b = new.get("limits_minutes", {}).get(step)
        if a != b:
            out.append(
                (
                    _w("as_diff_limit", language, step=ui_text(f"as_step_{step}", language)),
                    _w("as_diff_minutes", language, n=_n(a)),
                    _w("as_diff_minutes", language, n=_n(b)),
                )
            )
    a = old.get("appeals", {}).get("window_working_days")
    b = new.get("appeals", {}).get("window_working_days")
    if a != b:
        out.append((ui_text("as_diff_appeals", language), _n(a), _n(b)))
    out += _contest_pairs(old.get("contest") or contest.default_rules(), new.get("contest") or {}, language)
    return out


def diff_lines(old: dict, new: dict, language: str) -> list[str]:
    """The diff as lines: ``街道 · 按期结案率 权重 40 % → 35 %``."""
    return [f"{what} {before} → {after}" for what, before, after in diff_pairs(old, new, language)]


def _empty_text(item: dict, language: str) -> str:
    if item.get("when_empty", "rescale") == "value":
        return _w("as_empty_value", language, n=_n(item.get("if_empty")))
    return ui_text("as_empty_rescale", language)


def _own_team(rule: dict | None, language: str) -> str:
    if not rule:
        return "—"
    return _w("as_own_team_value", language, own=_n(rule.get("own")), team=_n(rule.get("team")))


def _grade_pairs(old: list[dict], new: list[dict], language: str) -> list[tuple[str, str, str]]:
    before = {g["grade"]: g["min"] for g in old}
    after = {g["grade"]: g["min"] for g in new}
    out = []
    for grade in dict.fromkeys([*before, *after]):
        a, b = before.get(grade), after.get(grade)
        if a != b:
            out.append(
                (
                    _w("as_diff_grade", language, grade=grade),
                    "—" if a is None else _w("as_diff_points", language, n=_n(a)),
                    "—" if b is None else _w("as_diff_points", language, n=_n(b)),
                )
            )
    return out


def card_rule_text(kind: str, value, language: str) -> str:
    if value is None:
        return ui_text("as_rule_off", language)
    return _w(f"as_rule_value_{kind}", language, n=_n(value))


def _contest_pairs(old: dict, new: dict, language: str) -> list[tuple[str, str, str]]:
    out = []
    item_word = ui_text("as_diff_item", language)
    before = {i["code"]: i for i in old.get("items", [])}
    after = {i["code"]: i for i in new.get("items", [])}
    for code in dict.fromkeys([*before, *after]):
        a, b = before.get(code), after.get(code)
        name = (b or a)["name_zh" if language == "zh" else "name_en"]
        what = f"{item_word} · {name}"
        if a is None or b is None:
            points = _w("as_diff_points", language, n=_n((a or b)["points"]))
            out.append((what, "—" if a is None else points, "—" if b is None else points))
            continue
        if a["points"] != b["points"]:
            out.append(
                (
                    f"{what} {ui_text('as_diff_item_points', language)}",
                    _w("as_diff_points", language, n=_n(a["points"])),
                    _w("as_diff_points", language, n=_n(b["points"])),
                )
            )
        for kind in CONTEST_PATROL_KINDS:
            x, y = a["patrol_deductions"].get(kind), b["patrol_deductions"].get(kind)
            if (x or 0) != (y or 0):
                out.append(
                    (
                        f"{what} {_w('as_diff_deduction', language, kind=ui_text(f'm_patrol_{kind}', language))}",
                        _w("as_diff_points", language, n=_n(x or 0)),
                        _w("as_diff_points", language, n=_n(y or 0)),
                    )
                )
        if list(a["category_codes"]) != list(b["category_codes"]):
            out.append(
                (
                    f"{what} {ui_text('as_diff_categories', language)}",
                    " ".join(a["category_codes"]) or "—",
                    " ".join(b["category_codes"]) or "—",
                )
            )
        if a["is_default"] != b["is_default"]:
            out.append(
                (
                    f"{what} {ui_text('as_diff_is_default', language)}",
                    ui_text("yes" if a["is_default"] else "no", language),
                    ui_text("yes" if b["is_default"] else "no", language),
                )
            )
        for field in ("name_zh", "name_en"):
            if a[field] != b[field]:
                out.append((f"{what} {ui_text('as_diff_' + field, language)}", a[field], b[field]))
    before_rules = {r["kind"]: r["value"] for r in old.get("card_rules", [])}
    after_rules = {r["kind"]: r["value"] for r in new.get("card_rules", [])}
    for kind in contest.CARD_KINDS:
        a, b = before_rules.get(kind), after_rules.get(kind)
        if a != b:
            out.append(
                (
                    ui_text(f"as_rule_{kind}", language),
                    card_rule_text(kind, a, language),
                    card_rule_text(kind, b, language),
                )
            )
    return out


def counts_of(tier: str) -> tuple[str, ...]:
    """The counts a tier's formulas may name."""
    return TIER_COUNTS[tier]

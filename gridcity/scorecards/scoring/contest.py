"""The sanitation contest (市容环卫杯 / 双赛): streets scored monthly from check
items with deduction rules, ranked, and warned with yellow / red cards.

- Each check item (:class:`ContestItem`) has full points. A problem found on a
  night, holiday or month-end patrol (a valid case reported in the month with
  that patrol) deducts the item's ``patrol_deductions[kind]`` from the item of
  its category (the longest matching code prefix in ``category_codes``; else
  the default item), for the case's street. A manager's inspection record
  deducts its points from its item. An item never goes below zero.
- Streets are ranked by score (2 decimals, as shown); equal scores share a
  rank, competition style (1, 2, 2, 4).
- Cards (:class:`ContestCardRule`): a street among the ``last_places`` worst,
  or scoring ``below`` a threshold, gets a yellow card; if it also met a
  yellow rule in each of the ``consecutive_yellow`` − 1 months before, the
  card is red. Earlier months count as frozen (their latest version), or
  computed live when not frozen. "The last n places" includes every street
  tied at those places (DOMAIN.md §7.1 rule 10): two streets tied for last
  both get the last-place card, and both go on to a red one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.models import District, Street
from gridcity.scorecards.models import ContestInspection, ContestPhoto, ContestResult, ScorecardVersion
from gridcity.scorecards.scoring import indicators
from gridcity.scorecards.scoring.tables import ContestRow, ContestTable

DEFAULT_ITEMS = (
    # code, zh, en, points, category code prefixes, default item
    (
        "street_cleaning",
        "道路清扫保洁",
        "Street cleaning",
        30.0,
        ["E0102", "E0103", "E0104", "E0302", "E0304"],
        True,
    ),
    (
        "village_cleaning",
        "城中村清扫保洁",
        "Urban-village cleaning",
        25.0,
        ["E0106", "E0110", "E0406", "E0407"],
        False,
    ),
    (
        "garbage",
        "垃圾收运与转运",
        "Garbage collection & transfer",
        25.0,
        ["C0303", "C0304", "C0305", "C0704", "E0109"],
        False,
    ),
    ("toilets", "公共厕所", "Public toilets", 20.0, ["C0301", "C0302"], False),
)
DEFAULT_PATROL_DEDUCTIONS = {"night": 1.0, "holiday": 1.0, "month_end": 2.0}
DEFAULT_CARD_RULES = (("last_places", 1.0), ("below", 80.0), ("consecutive_yellow", 2.0))
CARD_KINDS = ("last_places", "below", "consecutive_yellow")


@dataclass(frozen=True)
class ContestItem:
    """A check item of the sanitation contest (市容环卫杯) with its points.
    Patrol findings whose category is in ``category_codes`` (or, for the
    default item, any other category) deduct ``patrol_deductions[kind]``
    points each, by patrol kind. Part of a settings version
    (``IndicatorSet.contest_rules``)."""

    code: str
    name_zh: str
    name_en: str
    points: float
    category_codes: list = field(default_factory=list)
    patrol_deductions: dict = field(default_factory=dict)
    is_default: bool = False


@dataclass(frozen=True)
class ContestCardRule:
    """红黄牌 rules: ``last_places`` (the n worst streets → yellow),
    ``below`` (a score under the value → yellow), ``consecutive_yellow``
    (a yellow in each of n months in a row → red instead)."""

    kind: str
    value: float


def default_rules() -> dict:
    """The contest rules of a settings version that names none."""
    return {
        "items": [
            {
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "points": points,
                "category_codes": list(codes),
                "patrol_deductions": dict(DEFAULT_PATROL_DEDUCTIONS),
                "is_default": default,
            }
            for code, zh, en, points, codes, default in DEFAULT_ITEMS
        ],
        "card_rules": [{"kind": kind, "value": value} for kind, value in DEFAULT_CARD_RULES],
    }


def rules_of(definition_set) -> dict:
    """A settings version's contest rules ``{"items", "card_rules"}``."""
    return definition_set.contest_rules or default_rules()


def _rules_for(month: str | None) -> dict:
    from gridcity.scorecards.counting.engine import month_of

    return rules_of(indicators.set_for_month(month or month_of(utcnow())))


def items(month: str | None = None) -> list[ContestItem]:
    """The check items in force in ``month`` (default: this month)."""
    return [ContestItem(**i) for i in _rules_for(month)["items"]]


def card_rules(month: str | None = None) -> list[ContestCardRule]:
    """The card rules in force in ``month`` (default: this month)."""
    return [ContestCardRule(**r) for r in _rules_for(month)["card_rules"]]


def rules_document(month: str | None = None) -> dict:
    return _rules_for(month)


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise GridCityError("bad_request", detail=f"{what} must be a number ≥ 0")
    return float(value)


def validate_rules(document: dict) -> dict:
    """A clean copy of contest rules ``{items, card_rules}``, or a 400
    saying what is wrong."""
    from gridcity.patrols.models import PATROL_KINDS

    if not isinstance(document, dict):
        raise GridCityError("bad_request", detail="expected {items, card_rules}")
    raw_items, raw_rules = document.get("items"), document.get("card_rules")
    if not isinstance(raw_items, list) or not raw_items:
        raise GridCityError("bad_request", detail="items must be a non-empty list")
    if not isinstance(raw_rules, list):
        raise GridCityError("bad_request", detail="card_rules must be a list")
    clean, seen = [], set()
    for n, it in enumerate(raw_items, start=1):
        if not isinstance(it, dict) or not isinstance(it.get("code"), str) or not it["code"].strip():
            raise GridCityError("bad_request", detail=f"item {n} needs a code")
        if it["code"] in seen:
            raise GridCityError("bad_request", detail=f"item code {it['code']} is repeated")
        seen.add(it["code"])
        codes = it.get("category_codes", [])
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise GridCityError(
                "bad_request", detail=f"item {it['code']}: category_codes must be a list of codes"
            )
        deductions = it.get("patrol_deductions", {})
        if not isinstance(deductions, dict) or set(deductions) - set(PATROL_KINDS):
            raise GridCityError(
                "bad_request",
                detail=f"item {it['code']}: patrol_deductions keys are {', '.join(PATROL_KINDS)}",
            )
        clean.append(
            {
                "code": it["code"],
                "name_zh": str(it.get("name_zh") or it["code"]),
                "name_en": str(it.get("name_en") or it["code"]),
                "points": _number(it.get("points"), f"item {it['code']} points"),
                "category_codes": [c.strip() for c in codes if c.strip()],
                "patrol_deductions": {
                    k: _number(v, f"{it['code']} deduction") for k, v in deductions.items()
                },
                "is_default": bool(it.get("is_default", False)),
            }
        )
    if sum(c["is_default"] for c in clean) != 1:
        raise GridCityError("bad_request", detail="exactly one item must be the default (is_default)")
    rules, kinds = [], set()
    for r in raw_rules:
        if not isinstance(r, dict) or r.get("kind") not in CARD_KINDS:
            raise GridCityError(
                "bad_request", detail=f"card rule kind must be one of {', '.join(CARD_KINDS)}"
            )
        if r["kind"] in kinds:
            raise GridCityError("bad_request", detail=f"card rule {r['kind']} is repeated")
        kinds.add(r["kind"])
        rules.append({"kind": r["kind"], "value": _number(r.get("value"), f"card rule {r['kind']} value")})
    return {"items": clean, "card_rules": rules}


# ---------------------------------------------------------------- inspections


def add_inspection(
    month: str,
    street_id: int,
    item_code: str,
    deduction: float,
    note: str,
    user,
    photos: list[bytes] = (),
    inspected_at: dt.datetime | None = None,
) -> ContestInspection:
    """A manager's inspection record with photos (the caller commits)."""
    from gridcity.media.storage import store_photo
    from gridcity.scorecards.counting.engine import parse_month

    parse_month(month)
    if db.session.get(Street, street_id) is None:
        raise NotFound("not_found", what=f"street {street_id}")
    known = {i.code for i in items(month)}
    if item_code not in known:
        raise GridCityError("bad_request", detail=f"item must be one of {', '.join(sorted(known))}")
    deduction = _number(deduction, "deduction")
    if deduction <= 0:
        raise GridCityError("bad_request", detail="deduction must be positive")
    settings = current_app.config["SETTINGS"]
    stored = [
        store_photo(p, settings.resolved_media_dir, settings.max_upload_mb * 1024 * 1024) for p in photos
    ]
    now = utcnow()
    record = ContestInspection(
        month=month,
        street_id=street_id,
        item_code=item_code,
        deduction=deduction,
        note=note or "",
        inspected_at=inspected_at or now,
        created_by_id=getattr(user, "id", None),
        created_at=now,
    )
    for p in stored:
        record.photos.append(
            ContestPhoto(
                sha256=p.sha256,
                content_type=p.content_type,
                width=p.width,
                height=p.height,
                size_bytes=p.size_bytes,
                relative_path=p.relative_path,
                thumbnail_path=p.thumbnail_path,
            )
        )
    db.session.add(record)
    db.session.flush()
    return record


def inspection_dict(r: ContestInspection) -> dict:
    return {
        "id": r.id,
        "month": r.month,
        "street_id": r.street_id,
        "item_code": r.item_code,
        "deduction": r.deduction,
        "note": r.note,
        "inspected_at": r.inspected_at.isoformat(),
        "created_by_id": r.created_by_id,
        "photos": [{"id": p.id, "sha256": p.sha256, "content_type": p.content_type} for p in r.photos],
    }


def inspections(month: str | None = None, street_id: int | None = None) -> list[ContestInspection]:
    query = select(ContestInspection).order_by(ContestInspection.id)
    if month:
        query = query.where(ContestInspection.month == month)
    if street_id is not None:
        query = query.where(ContestInspection.street_id == street_id)
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- scoring


def _item_for(category_code: str, active: list[ContestItem]) -> ContestItem:
    best, length = None, -1
    for item in active:
        for prefix in item.category_codes or ():
            if category_code.startswith(prefix) and len(prefix) > length:
                best, length = item, len(prefix)
    if best is None:
        best = next((i for i in active if i.is_default), active[0])
    return best


def _streets():
    districts = dict(db.session.execute(select(District.id, District.code)).all())
    return [
        (r.id, districts.get(r.district_id, "") + r.code, r.name)
        for r in db.session.execute(select(Street.id, Street.code, Street.name, Street.district_id))
    ]


def _scores(month: str, findings) -> tuple[list[dict], float]:
    """Per street: items, deductions and score (unranked, no cards)."""
    active = items(month)
    full = sum(i.points for i in active)
    streets = _streets()
    deducted = {s[0]: {i.code: 0.0 for i in active} for s in streets}
    patrol_total = {s[0]: 0.0 for s in streets}
    inspection_total = {s[0]: 0.0 for s in streets}
    item_of: dict[str, ContestItem] = {}  # thousands of findings, a few hundred categories
    for street_id, category_code, kind, n in findings:
        if street_id not in deducted:
            continue
        if category_code not in item_of:
            item_of[category_code] = _item_for(category_code, active)
        item = item_of[category_code]
        points = float((item.patrol_deductions or {}).get(kind, 0.0)) * n
        deducted[street_id][item.code] += points
        patrol_total[street_id] += points
    for street_id, item_code, total in db.session.execute(
        select(
            ContestInspection.street_id, ContestInspection.item_code, func.sum(ContestInspection.deduction)
        )
        .where(ContestInspection.month == month)
        .group_by(ContestInspection.street_id, ContestInspection.item_code)
    ):
        if street_id in deducted and item_code in deducted[street_id]:
            deducted[street_id][item_code] += float(total)
            inspection_total[street_id] += float(total)
    out = []
    for street_id, code, name in streets:
        item_rows = {
            i.code: {
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "points": i.points,
                "deducted": round(deducted[street_id][i.code], 2),
                "score": round(max(0.0, i.points - deducted[street_id][i.code]), 2),
            }
            for i in active
        }
        out.append(
            {
                "street_id": street_id,
                "street_code": code,
                "street_name": name,
                "items": item_rows,
                "patrol_deductions": round(patrol_total[street_id], 2),
                "inspection_deductions": round(inspection_total[street_id], 2),
                "score": round(sum(v["score"] for v in item_rows.values()), 2),
            }
        )
    out.sort(key=lambda r: (-r["score"], r["street_code"]))
    rank, last = 0, None
    for position, r in enumerate(out, start=1):
        if r["score"] != last:
            rank, last = position, r["score"]
        r["rank"] = rank
    return out, full


def _yellow_reasons(rows: list[dict], rules: list[ContestCardRule]) -> dict[int, str]:
    """Streets meeting a yellow rule, with the rule met as ``kind:value``
    (worded per language by :func:`card_reason_text`)."""
    reasons: dict[int, str] = {}
    n = len(rows)
    for rule in rules:
        if rule.kind == "last_places" and rule.value >= 1 and n > 1:
            places = int(rule.value)
            # Ties share a place (DOMAIN.md §7.1 rule 10): every street scoring
            # no more than the one in the n-th place from the bottom is among
            # the last n, however many there are; streets tied with the best
            # are not (when all tie, nobody is last).
            threshold = rows[max(n - places, 0)]["score"]
            for r in rows:
                if r["score"] <= threshold and r["score"] < rows[0]["score"]:
                    reasons.setdefault(r["street_id"], f"last_places:{places}")
        elif rule.kind == "below":
            for r in rows:
                if r["score"] < rule.value:
                    reasons.setdefault(r["street_id"], f"below:{rule.value:g}")
    return reasons


def _had_card(month: str) -> set[int]:
    """Streets that met a yellow rule in ``month`` (frozen cards, else live)."""
    version_id = db.session.scalar(
        select(ScorecardVersion.id)
        .where(ScorecardVersion.month == month)
        .order_by(ScorecardVersion.version.desc())
        .limit(1)
    )
    if version_id is not None:
        return set(
            db.session.scalars(
                select(ContestResult.street_id).where(
                    ContestResult.version_id == version_id, ContestResult.card.is_not(None)
                )
            )
        )
    from gridcity.scorecards.counting.engine import month_bounds, patrol_findings

    rows, _ = _scores(month, patrol_findings(*month_bounds(month)))
    return set(_yellow_reasons(rows, card_rules(month)))


def compute(month: str, findings) -> ContestTable:
    """The contest table of ``month`` from its patrol findings
    (street, category code, patrol kind, count) and its inspection records."""
    from gridcity.scorecards.counting.engine import shift_month

    rows, full = _scores(month, findings)
    rules = card_rules(month)
    yellow = _yellow_reasons(rows, rules)
    streak = next((int(r.value) for r in rules if r.kind == "consecutive_yellow"), 0)
    earlier = [_had_card(shift_month(month, -k)) for k in range(1, streak)] if streak >= 2 and yellow else []
    table = []
    for r in rows:
        card, reason = None, None
        if r["street_id"] in yellow:
            card, reason = "yellow", yellow[r["street_id"]]
            if earlier and all(r["street_id"] in s for s in earlier):
                card = "red"
                reason = f"consecutive_yellow:{streak};{reason}"
        table.append(ContestRow(**r, card=card, card_reason=reason))
    return ContestTable(month, table, full)


def card_reason_text(reason: str | None, language: str) -> str:
    """A card's reason in words: the rules met, stored as ``kind:value``
    joined by ``;`` (e.g. ``consecutive_yellow:2;last_places:1``). A reason
    that is not in that form is shown as it is."""
    from gridcity.web.ui_text import UI_TEXT, ui_text

    if not reason:
        return ""
    words = []
    for rule in reason.split(";"):
        kind, _, value = rule.partition(":")
        key = f"sc_card_rule_{kind}"
        if not value or key not in UI_TEXT:
            return reason
        words.append(ui_text(key, language).format(n=value))
    return ("；" if language == "zh" else "; ").join(words)


def card_history(month: str | None = None, language: str = "zh") -> list[dict]:
    """Cards of frozen months (their latest version), newest first; the
    reason as the rules met and in ``language``'s words."""
    latest = (
        select(ScorecardVersion.month, func.max(ScorecardVersion.version).label("v"))
        .group_by(ScorecardVersion.month)
        .subquery()
    )
    query = (
        select(ContestResult, ScorecardVersion.version)
        .join(ScorecardVersion, ScorecardVersion.id == ContestResult.version_id)
        .join(latest, (latest.c.month == ScorecardVersion.month) & (latest.c.v == ScorecardVersion.version))
        .where(ContestResult.card.is_not(None))
        .order_by(ContestResult.month.desc(), ContestResult.rank.desc())
    )
    if month:
        query = query.where(ContestResult.month == month)
    return [
        {
            "month": r.month,
            "version": version,
            "street_id": r.street_id,
            "street_code": r.street_code,
            "street_name": r.street_name,
            "color": r.card,
            "reason": r.card_reason,
            "reason_text": card_reason_text(r.card_reason, language),
            "score": r.score,
            "rank": r.rank,
        }
        for r, version in db.session.execute(query)
    ]

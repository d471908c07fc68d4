"""The admin console's assessment settings (考核设置): the versions with who /
when / note / effective month and what each changed, and a form in words for
a new version (indicators and weights per tier, grade bands, contest items,
card rules) with a preview of its changes before it is saved. The form posts
to views that call the same service as the API and ``gridcity scorecards
settings`` (:mod:`gridcity.scorecards.snapshots.settings`)."""

from __future__ import annotations

import copy
import datetime as dt

from flask import Blueprint, redirect, request, url_for

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import FieldError, GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.scorecards.counting.counts import SCORED_TIERS
from gridcity.scorecards.counting.engine import month_of, shift_month
from gridcity.scorecards.scoring import contest, indicators
from gridcity.scorecards.snapshots import settings as assessment
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page
from gridcity.web.formats import city_datetime
from gridcity.web.ui_text import ui_text

bp = Blueprint("admin_assessment", __name__, url_prefix="/admin/assessment")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

PATROL_KINDS = assessment.CONTEST_PATROL_KINDS
# How many months after this one the effective month picker offers.
MONTHS_AHEAD = 12


def _this_month() -> str:
    return month_of(dt.datetime.now(dt.UTC))


def _num(value: float | None) -> str:
    return "" if value is None else f"{float(value):g}"


# ---------------------------------------------------------------- the form <-> a draft


def _form_values(draft: dict, language: str) -> dict:
    """The form's fields as the draft fills them (the texts an admin edits)."""
    values: dict[str, str] = {}
    for tier in SCORED_TIERS:
        for n, item in enumerate(draft["tiers"][tier]):
            values[f"w-{tier}-{n}"] = _num(item["weight"])
            values[f"f-{tier}-{n}"] = assessment.formula_words(item["formula"], language)
            values[f"nz-{tier}-{n}"] = item["name_zh"]
            values[f"ne-{tier}-{n}"] = item["name_en"]
    for n, band in enumerate(draft["grades"]):
        values[f"g-{n}"] = band["grade"]
        values[f"gm-{n}"] = _num(band["min"])
    for n, item in enumerate(draft["contest"]["items"]):
        values[f"ip-{n}"] = _num(item["points"])
        values[f"ic-{n}"] = " ".join(item["category_codes"])
        for kind in PATROL_KINDS:
            values[f"id-{kind}-{n}"] = _num(item["patrol_deductions"].get(kind, 0))
        if item["is_default"]:
            values["idefault"] = str(n)
    rules = {r["kind"]: r["value"] for r in draft["contest"]["card_rules"]}
    for kind in contest.CARD_KINDS:
        values[f"card-{kind}"] = _num(rules.get(kind))
    return values


def _number(form, field: str, label: str, default: float | None = None) -> float:
    """A number typed in the form; a field the form did not send keeps ``default``."""
    if field not in form and default is not None:
        return default
    text = form.get(field, "").strip().replace("%", "").replace("％", "")
    try:
        return float(text)
    except ValueError:
        raise FieldError(field, "settings_number", status=422, what=label) from None


def _draft_from(form, base: dict, language: str) -> dict:
    """The draft the form describes, over the version it started from."""
    draft = copy.deepcopy(base)
    for tier in SCORED_TIERS:
        tier_name = ui_text(f"sc_tier_{tier}", language)
        for n, item in enumerate(draft["tiers"][tier]):
            name = form.get(f"nz-{tier}-{n}", item["name_zh"]).strip() or item["name_zh"]
            item["name_zh"] = name
            item["name_en"] = form.get(f"ne-{tier}-{n}", item["name_en"]).strip() or item["name_en"]
            label = f"{tier_name} · {name if language == 'zh' else item['name_en']}"
            item["weight"] = _number(
                form, f"w-{tier}-{n}", f"{label} {ui_text('as_diff_weight', language)}", item["weight"]
            )
            words_text = form.get(f"f-{tier}-{n}")
            if words_text is not None:
                try:
                    item["formula"] = assessment.formula_from_words(words_text, tier)
                except FieldError as error:
                    raise FieldError(
                        f"f-{tier}-{n}",
                        error.key,
                        status=422,
                        **{k: v for k, v in error.params.items() if k != "field"},
                    ) from None
    for n, band in enumerate(draft["grades"]):
        band["grade"] = form.get(f"g-{n}", band["grade"]).strip()
        band["min"] = _number(
            form, f"gm-{n}", ui_text("as_diff_grade", language).format(grade=band["grade"]), band["min"]
        )
    default = form.get("idefault")
    for n, item in enumerate(draft["contest"]["items"]):
        name = item["name_zh" if language == "zh" else "name_en"]
        item["points"] = _number(
            form, f"ip-{n}", f"{name} {ui_text('as_diff_item_points', language)}", item["points"]
        )
        item["category_codes"] = (
            form.get(f"ic-{n}", " ".join(item["category_codes"])).replace(",", " ").split()
        )
        for kind in PATROL_KINDS:
            label = ui_text("as_diff_deduction", language).format(kind=ui_text(f"m_patrol_{kind}", language))
            item["patrol_deductions"][kind] = _number(
                form, f"id-{kind}-{n}", f"{name} {label}", item["patrol_deductions"].get(kind, 0.0)
            )
        if default is not None:
            item["is_default"] = default == str(n)
    rules = []
    for kind in contest.CARD_KINDS:
        if form.get(f"card-{kind}", "").strip():
            rules.append(
                {"kind": kind, "value": _number(form, f"card-{kind}", ui_text(f"as_rule_{kind}", language))}
            )
    draft["contest"]["card_rules"] = rules
    return draft


# ---------------------------------------------------------------- pages


def _months(first: str) -> list[tuple[str, str]]:
    """The months the effective month picker offers: from the first one
    allowed (or a year back) to a year ahead."""
    this = _this_month()
    start = max(first, shift_month(this, -12))
    out, month = [], start
    while month <= max(shift_month(this, MONTHS_AHEAD), shift_month(start, MONTHS_AHEAD)):
        out.append(month)
        month = shift_month(month, 1)
    return [(m, m) for m in out]


def _tables(draft: dict, language: str) -> dict:
    """What the form shows beside the fields: tier names and indicator rows."""
    return {
        "tiers": [
            (tier, ui_text(f"sc_tier_{tier}", language), list(enumerate(draft["tiers"][tier])))
            for tier in SCORED_TIERS
        ],
        "grades": list(enumerate(draft["grades"])),
        "items": list(enumerate(draft["contest"]["items"])),
        "kinds": [(k, ui_text(f"m_patrol_{k}", language)) for k in PATROL_KINDS],
        "card_kinds": list(contest.CARD_KINDS),
    }


def _settings_page(form=None, error: GridCityError | None = None, changes: list[str] | None = None):
    language = current_language()
    base_row = indicators.current_set()
    base = assessment.editable(assessment.settings_of(base_row))
    values = _form_values(base, language)
    if form is not None:
        values.update({k: v for k, v in form.items() if k in values or k in ("note", "effective_from")})
    first = assessment.default_effective()
    first_shown = first if first != indicators.BEGINNING else _this_month()
    next_month = max(shift_month(_this_month(), 1), first_shown)
    rows = assessment.versions(_this_month())
    for r in rows:
        r["effective_text"] = assessment.effective_text(r["effective_from"], language)
        r["created_at"] = city_datetime(r["created_at"])
    entries = audit.search(object_kind=assessment.SETTINGS_KIND, limit=100)
    return _page(
        "admin_assessment.html",
        status=error.status if error is not None else 200,
        versions=rows,
        base_version=base_row.version,
        values=values,
        effective=(form or {}).get("effective_from") or next_month,
        months=_months(first_shown),
        first_month=first_shown,
        changes=changes,
        error=error.message() if error is not None else None,
        error_field=getattr(error, "field", None),
        done=request.args.get("done") == "saved",
        history=words.describe(entries, language),
        **_tables(base, language),
    )


@bp.get("")
@roles_required(Role.ADMIN)
def settings_page():
    page = _settings_page()
    db.session.commit()  # the first visit stores the defaults as version 1
    return page


@bp.post("")
@roles_required(Role.ADMIN)
def settings_post():
    form = request.form
    language = current_language()
    try:
        base_row = indicators.current_set()
        if form.get("base") != str(base_row.version):
            raise GridCityError("settings_stale", status=409, version=base_row.version)
        draft = _draft_from(form, assessment.editable(assessment.settings_of(base_row)), language)
        if form.get("step") == "save":
            assessment.save_version(
                draft, current_user(), form.get("note", ""), form.get("effective_from", "")
            )
            db.session.commit()
            return redirect(url_for(".settings_page", done="saved") + "#versions")
        _, changes = assessment.preview(draft, language)
    except GridCityError as error:
        db.session.rollback()
        return _settings_page(form, error)
    return _settings_page(form, changes=changes)


@bp.get("/versions/<int:version>")
@roles_required(Role.ADMIN)
def version_page(version: int):
    language = current_language()
    row = assessment.get_version(version)
    document = assessment.settings_of(row)
    before = assessment.predecessor(row.version)
    entries = [e for e in audit.search(object_kind=assessment.SETTINGS_KIND, object_id=row.id, limit=10)]
    return _page(
        "admin_assessment_version.html",
        version=row.version,
        effective_text=assessment.effective_text(row.effective_from, language),
        note=row.note,
        created_by=document["created_by"],
        created_at=city_datetime(row.created_at),
        previous=before.version if before is not None else None,
        changes=assessment.changes_of(row, language),
        formula_words=lambda f: assessment.formula_words(f, language),
        rule_text=lambda kind, value: assessment.card_rule_text(kind, value, language),
        rules={r["kind"]: r["value"] for r in document["contest"]["card_rules"]},
        history=words.describe(entries, language),
        **_tables(assessment.editable(document), language),
    )

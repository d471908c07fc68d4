"""The managers' scorecard pages (绩效考核) at ``/scorecards/``.

Server-rendered tables, so every figure is a plain link: a count opens the list
of the cases behind it (the engine's :func:`cases_behind`), a case opens its
history. Trend charts are inline SVG drawn here; the map page colours the
streets and work grids by score with our own Leaflet layers. Exports (XLSX,
PDF) are in :mod:`gridcity.scorecards.presentation.exports`.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from gridcity.analysis.recurrences import count_recurrences
from gridcity.analysis.scope import ANALYSIS_ROLES, build_scope
from gridcity.cases.history_lines import history_lines
from gridcity.cases.models import Case, CaseEvent
from gridcity.core.auth import current_user, roles_required
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.i18n import LANGUAGES, current_language, translate
from gridcity.extensions import db
from gridcity.geo.models import Community, UnitGrid, WorkGrid
from gridcity.org.models import ROLE_NAMES, Role
from gridcity.org.services import describe_user
from gridcity.scorecards.presentation import display
from gridcity.scorecards.presentation.charts import svg_line_chart
from gridcity.scorecards.presentation.explain import Explainer, explain_contest_score, fmt_number
from gridcity.scorecards.presentation.formats import count_columns, indicator_columns, local_time
from gridcity.scorecards.presentation.places import PLACE_TIERS, Place, place_chain
from gridcity.scorecards.scoring.contest import card_reason_text
from gridcity.scorecards.snapshots import appeals
from gridcity.scorecards.snapshots import services as sc
from gridcity.scorecards.snapshots.freeze import freeze_reason_text
from gridcity.web.ui_text import ui_text, ui_texts

bp = Blueprint("scorecards_pages", __name__, url_prefix="/scorecards")

READERS = (Role.MANAGER, Role.ADMIN)
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TIER_GROUPS = (
    ("sc_group_areas", ("district", "street", "area", "work_grid", "unit_grid")),
    ("sc_group_units", ("unit",)),
    ("sc_group_positions", sc.PERSON_TIERS),
    ("sc_group_chain", ("center_head", "area_head", "group_leader")),
)
# Where a row drills down to: the next tier and how its rows are picked.
CHILD_TIER = {"district": "street", "street": "work_grid", "area": "work_grid", "work_grid": "unit_grid"}
TREND_MONTHS = 12
TREND_MAX_LINES = 8  # a tier table draws one line per subject when it has at most this many
UNIT_GRID_PAGE = 300
GRADE_COLOURS = {"A": "#1a7f37", "B": "#3d7a1f", "C": "#8a6a00", "D": "#b93c0b", "E": "#b42318"}
MAP_TEXTS = ("loading", "load_error", "sc_no_score")


# ---------------------------------------------------------------- helpers


def parse_month(month: str) -> str:
    """``YYYY-MM`` or a 400 that says what is wrong."""
    if not isinstance(month, str) or not MONTH_RE.match(month):
        raise GridCityError("bad_request", detail=f"month must look like 2026-11 (YYYY-MM), not {month!r}")
    if month > this_month():
        raise GridCityError("bad_request", detail=f"month {month} has not started yet")
    return month


def parse_tier(tier: str) -> str:
    if tier not in sc.TIERS:
        raise NotFound("not_found", what=f"scorecard tier {tier!r} (one of {', '.join(sc.TIERS)})")
    return tier


def parse_version(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise GridCityError("bad_request", detail="version must be a positive whole number")
    return int(raw)


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["SETTINGS"].timezone)


def this_month() -> str:
    return f"{utcnow().astimezone(_tz()):%Y-%m}"


def last_month() -> str:
    today = utcnow().astimezone(_tz()).date().replace(day=1)
    return f"{today - dt.timedelta(days=1):%Y-%m}"


def shift_month(month: str, delta: int) -> str:
    y, m = int(month[:4]), int(month[5:])
    n = y * 12 + (m - 1) + delta
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def trend_months(month: str, n: int = TREND_MONTHS) -> list[str]:
    """The ``n`` months up to ``month`` that have data (cases, or a frozen
    scorecard), oldest first."""
    from sqlalchemy import func

    window = [shift_month(month, -k) for k in range(n)]
    first = db.session.scalar(select(func.min(Case.reported_at)))
    first_month = None
    if first is not None:
        if isinstance(first, str):  # SQLite may hand MIN() of a datetime back as text
            first = dt.datetime.fromisoformat(first)
        first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)
        first_month = f"{first.astimezone(_tz()):%Y-%m}"
    frozen = {m for m in sc.months_available(n) if m in window and sc.versions(m)}
    with_cases = {m for m in window if first_month is not None and m >= first_month}
    return sorted(frozen | with_cases) or [month]


def tier_name(tier: str, language: str | None = None) -> str:
    return ui_text(f"sc_tier_{tier}", language or current_language())


def count_name(count: str, language: str | None = None) -> str:
    return ui_text(f"sc_count_{count}", language or current_language())


def indicator_name(indicator: dict, language: str | None = None) -> str:
    return indicator.get("name_zh" if (language or current_language()) == "zh" else "name_en") or ""


def with_formulas(table: sc.ScorecardTable) -> sc.ScorecardTable:
    """Add each indicator's formula (from the definition set the table used)."""
    try:
        document = sc.definitions(table.definition_version)
    except GridCityError:
        return table
    formulas = {i["code"]: i.get("formula", "") for i in document.get("tiers", {}).get(table.tier, [])}
    for row in table.rows:
        for code, ind in row.indicators.items():
            ind.setdefault("formula", formulas.get(code, ""))
    return table


def within_ids(tier: str, within: str | None) -> tuple[set[int] | None, tuple[str, int] | None]:
    """``within=street:3`` → the ids of this tier's subjects inside street 3."""
    if not within:
        return None, None
    kind, _, raw = within.partition(":")
    if not raw.isdigit() or (kind, tier) not in {
        ("district", "street"),
        ("street", "work_grid"),
        ("area", "work_grid"),
        ("work_grid", "unit_grid"),
    }:
        raise GridCityError("bad_request", detail=f"cannot list {tier} rows within {within!r}")
    parent = int(raw)
    if tier == "work_grid" and kind == "area":
        return set(db.session.scalars(select(WorkGrid.id).where(WorkGrid.area_id == parent))), (kind, parent)
    if tier == "work_grid":  # the work grids with unit grids in the street
        query = (
            select(UnitGrid.work_grid_id)
            .join(Community, Community.id == UnitGrid.community_id)
            .where(Community.street_id == parent, UnitGrid.work_grid_id.is_not(None))
            .distinct()
        )
        return set(db.session.scalars(query)), (kind, parent)
    if tier == "unit_grid":
        return set(db.session.scalars(select(UnitGrid.id).where(UnitGrid.work_grid_id == parent))), (
            kind,
            parent,
        )
    return None, (kind, parent)  # every street is in the (one) district


# ---------------------------------------------------------------- charts


def tier_trend(tier: str, month: str, subject_ids: list[int]) -> tuple[list[str], dict[int, list]]:
    """Scores of the given subjects over the trend months: one table read per month."""
    months = trend_months(month)
    scores: dict[int, list] = {i: [] for i in subject_ids}
    for m in months:
        table = sc.month_scorecard(m, tier)
        by_id = {r.subject_id: r.score for r in table.rows}
        for i in subject_ids:
            scores[i].append(by_id.get(i))
    return months, scores


# ---------------------------------------------------------------- page plumbing


@bp.context_processor
def _page_helpers() -> dict:
    language = current_language()
    return {
        "lang": language,
        "other_lang": next(code for code in LANGUAGES if code != language),
        "t": lambda key: ui_text(key, language),
        "card_reason": lambda reason: card_reason_text(reason, language),
        "freeze_reason": lambda reason: freeze_reason_text(reason, language),
        "tier_name": tier_name,
        "count_name": count_name,
        "indicator_name": indicator_name,
        "fmt_score": display.fmt_score,
        "fmt_change": lambda value: display.fmt_change(value, language),
        "change_direction": display.change_direction,
        "fmt_deduction": display.fmt_deduction,
        "fmt_number": fmt_number,
        "explain_contest": lambda full, score: explain_contest_score(full, score, language),
        "card_text": lambda card: display.card_text(card["color"], card["reason"], language),
        "grade_colours": GRADE_COLOURS,
        "tier_groups": TIER_GROUPS,
    }


def place_label(place: Place, language: str) -> str:
    """A place as the crumbs and titles name it (a unit grid by its code)."""
    if place.tier == "unit_grid":
        return ui_text("sc_unit_grid_named", language).format(code=place.name)
    return place.name


def crumbs_for(month: str, tier: str, subject: tuple[int, str] | None, last: str | None) -> list[dict]:
    """The breadcrumb after 绩效考核 › month: for a place, the chain up to the
    district, each place opening the list of the places inside it (the way
    one came down); for other subjects, their tier's table. ``subject`` is
    (id, name) of the page's subject, linked when ``last`` follows it."""
    language = current_language()
    crumbs = [{"label": month, "url": url_for(".month_page", month=month)}]
    chain = place_chain(tier, subject[0]) if subject and tier in PLACE_TIERS else []
    if subject and chain:
        for place in chain[:-1]:
            crumbs.append(
                {
                    "label": place_label(place, language),
                    "url": url_for(
                        ".tier_page",
                        month=month,
                        tier=CHILD_TIER[place.tier],
                        within=f"{place.tier}:{place.id}",
                    ),
                }
            )
        here = chain[-1]
        crumbs.append({"label": place_label(here, language), "url": None})
    elif subject:
        crumbs.append({"label": tier_name(tier), "url": url_for(".tier_page", month=month, tier=tier)})
        crumbs.append({"label": subject[1], "url": None})
    else:
        crumbs.append({"label": tier_name(tier), "url": None})
    if last is not None and subject:
        crumbs[-1]["url"] = url_for(".subject_page", month=month, tier=tier, subject_id=subject[0])
        crumbs.append({"label": last, "url": None})
    return crumbs


@bp.errorhandler(GridCityError)
def _error_page(error: GridCityError):
    """Refusals and bad input as a page with a human message."""
    params = dict(error.params)
    if params.get("role") in {r.value for r in Role}:
        params["role"] = ROLE_NAMES[Role(params["role"])][0 if current_language() == "zh" else 1]
    message = translate(error.key, **params)
    return render_template("error.html", status=error.status, message=message), error.status


def _render(template: str, **context):
    me = describe_user(current_user())
    language = current_language()
    return render_template(template, me=me, role_name=me["role_name"][language], **context)


def _month_nav(month: str) -> dict:
    return {
        "month": month,
        "previous": shift_month(month, -1),
        "next": shift_month(month, 1) if shift_month(month, 1) <= this_month() else None,
        "available": sc.months_available(24),
        "versions": [{**v.to_dict(), "frozen_at": local_time(v.frozen_at)} for v in sc.versions(month)],
    }


def explainer(table: sc.ScorecardTable) -> Explainer:
    try:
        document = sc.definitions(table.definition_version)
    except GridCityError:
        document = None
    return Explainer(table, document, current_language())


# ---------------------------------------------------------------- pages


@bp.get("/")
@roles_required(*READERS)
def index():
    return redirect(url_for(".tier_page", month=last_month(), tier="street"))


@bp.get("/go")
@roles_required(*READERS)
def go():
    """The month picker's form target."""
    month = parse_month(request.args.get("month", ""))
    tier = parse_tier(request.args.get("tier", "street"))
    return redirect(url_for(".tier_page", month=month, tier=tier))


@bp.get("/<month>/")
@roles_required(*READERS)
def month_page(month):
    return redirect(url_for(".tier_page", month=parse_month(month), tier="street"))


@bp.get("/<month>/<tier>")
@roles_required(*READERS)
def tier_page(month, tier):
    month, tier = parse_month(month), parse_tier(tier)
    version = parse_version(request.args.get("version"))
    table = with_formulas(sc.month_scorecard(month, tier, version))
    ids, within = within_ids(tier, request.args.get("within"))
    rows = [r for r in table.rows if ids is None or r.subject_id in ids]
    truncated = False
    if tier == "unit_grid" and ids is None and len(rows) > UNIT_GRID_PAGE:
        rows, truncated = rows[:UNIT_GRID_PAGE], True
    language = current_language()
    # Inside a place the ranks are among the places listed (ties share a rank).
    ranks = display.sibling_ranks([r.score for r in rows]) if within else [r.rank for r in rows]
    parent = place_chain(*within)[-1:] if within else []
    place = place_label(parent[0], language) if parent else None
    if within and not parent:
        raise NotFound("not_found", what=f"{within[0]} {within[1]}")
    crumbs = (
        crumbs_for(month, within[0], (within[1], place), last=tier_name(tier))
        if within
        else crumbs_for(month, tier, None, None)
    )
    chart = None
    if len(rows) <= TREND_MAX_LINES and rows:
        months, scores = tier_trend(tier, month, [r.subject_id for r in rows])
        chart = svg_line_chart(
            months,
            [(r.subject_name, scores[r.subject_id]) for r in rows],
            f"{place + ' · ' if place else ''}{tier_name(tier)} · {ui_text('sc_trend', language)}",
        )
    month_cards = sc.cards(month, language) if tier in ("street", "district", "area") else []
    return _render(
        "scorecards.html",
        nav=_month_nav(month),
        table=table,
        tier=tier,
        rows=rows,
        ranks=ranks,
        counts=count_columns(table),
        indicators=indicator_columns(table),
        explain=explainer(table),
        child_tier=CHILD_TIER.get(tier),
        within=within,
        place=place,
        crumbs=crumbs,
        truncated=truncated,
        chart=chart,
        month_cards=month_cards,
        version=version,
    )


def sibling_rank(month: str, table: sc.ScorecardTable, tier: str, row) -> dict | None:
    """A work grid's rank among the work grids of its street, a unit grid's
    among those of its work grid: as the drill-down list shows them."""
    parent_tier = {"work_grid": "street", "unit_grid": "work_grid"}.get(tier)
    chain = place_chain(tier, row.subject_id) if parent_tier else []
    parent = next((p for p in reversed(chain[:-1]) if p.tier == parent_tier), None)
    if parent is None:
        return None
    ids, _ = within_ids(tier, f"{parent.tier}:{parent.id}")
    siblings = [r for r in table.rows if ids is None or r.subject_id in ids]
    ranks = display.sibling_ranks([r.score for r in siblings])
    position = next((i for i, r in enumerate(siblings) if r.subject_id == row.subject_id), None)
    if position is None:
        return None
    return {
        "place": place_label(parent, current_language()),
        "rank": ranks[position],
        "of": sum(1 for r in ranks if r is not None),
    }


@bp.get("/<month>/<tier>/<int:subject_id>")
@roles_required(*READERS)
def subject_page(month, tier, subject_id):
    month, tier = parse_month(month), parse_tier(tier)
    version = parse_version(request.args.get("version"))
    table = with_formulas(sc.month_scorecard(month, tier, version))
    row = next((r for r in table.rows if r.subject_id == subject_id), None)
    if row is None:
        raise NotFound("not_found", what=f"{tier} {subject_id} in {month}")
    language = current_language()
    crumbs = crumbs_for(month, tier, (subject_id, row.subject_name), None)
    trend = sc.subject_trend(tier, subject_id, trend_months(month))
    chart = svg_line_chart(
        [p["month"] for p in trend],
        [(row.subject_name, [p["score"] for p in trend])],
        f"{crumbs[-1]['label']} · {ui_text('sc_trend', language)}",
    )
    return _render(
        "scorecards_subject.html",
        nav=_month_nav(month),
        table=table,
        tier=tier,
        row=row,
        title=crumbs[-1]["label"],
        crumbs=crumbs,
        ranked=sum(1 for r in table.rows if r.rank is not None and r.score is not None),
        among=sibling_rank(month, table, tier, row),
        explain=explainer(table),
        counts=[c for c in count_columns(table) if c in row.counts],
        trend=trend,
        chart=chart,
        child_tier=CHILD_TIER.get(tier),
        version=version,
        recurrences=recurrences_of(month, tier, subject_id),
    )


def recurrences_of(month: str, tier: str, subject_id: int) -> dict | None:
    """反复发生: a unit's or a street's recurring problems that month (decision
    support's rule, not a scorecard figure), with the link to their list."""
    if tier not in ("unit", "street"):
        return None
    place = {f"{tier}_id": subject_id}
    count = count_recurrences(build_scope(month=month, **place))
    readable = current_user().role in {r.value for r in ANALYSIS_ROLES}
    url = url_for("analysis.analysis_page", tab="recurrences", month=month, **place) if readable else None
    return {"count": count, "url": url}


@bp.get("/<month>/<tier>/<int:subject_id>/<count>")
@roles_required(*READERS, *appeals.APPELLANTS)  # units and people: their own figures, to appeal
def cases_page(month, tier, subject_id, count):
    month, tier = parse_month(month), parse_tier(tier)
    from gridcity.scorecards.counting.counts import COUNT_NAMES

    if count not in COUNT_NAMES:
        raise NotFound("not_found", what=f"count {count!r}")
    user = current_user()
    reader = user.role in READERS
    if not reader and not appeals.may_contest(user, tier, subject_id):
        raise GridCityError("appeal_not_yours", status=403)  # a unit / person: their own figures only
    table = sc.month_scorecard(month, tier)
    row = next((r for r in table.rows if r.subject_id == subject_id), None)
    if row is None:
        raise NotFound("not_found", what=f"{tier} {subject_id} in {month}")
    ids = appeals.counted_cases(month, tier, subject_id, count, table.version)
    found = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    can_appeal = (
        appeals.may_contest(user, tier, subject_id)
        and table.version is not None
        and count in appeals.exclusions.contestable_counts(tier)
        and utcnow() < appeals.window_closes(month)
    )
    crumbs = crumbs_for(month, tier, (subject_id, row.subject_name), count_name(count))
    return _render(
        "scorecards_cases.html",
        nav=_month_nav(month) if reader else None,
        tier=tier,
        row=row,
        title=crumbs[-2]["label"],
        crumbs=crumbs,
        count=count,
        figure=row.counts.get(count),
        cases=[found[i] for i in ids if i in found],
        frozen=table.version is not None,
        reader=reader,
        can_appeal=can_appeal,
        appeals_by_case=appeals.appeal_of_case(month, tier, subject_id, count),
        month=month,
    )


@bp.get("/<month>/contest")
@roles_required(*READERS)
def contest_page(month):
    month = parse_month(month)
    contest = sc.contest_ranking(month, parse_version(request.args.get("version")))
    items: dict[str, dict] = {}
    for r in contest.rows:
        for code, item in r.items.items():
            items.setdefault(code, item)
    months = trend_months(month)
    series: dict[int, list] = {r.street_id: [] for r in contest.rows}
    for m in months:
        by_id = {r.street_id: r.score for r in sc.contest_ranking(m).rows}
        for sid in series:
            series[sid].append(by_id.get(sid))
    scale = contest.full_score or 100.0
    chart = svg_line_chart(
        months,
        [
            (r.street_name, [None if v is None else v * 100.0 / scale for v in series[r.street_id]])
            for r in contest.rows
        ],
        ui_text("sc_contest_trend", current_language()),
    )
    return _render(
        "scorecards_contest.html",
        nav=_month_nav(month),
        contest=contest,
        items=list(items.items()),
        month_cards=sc.cards(month, current_language()),
        all_cards=sc.cards(None, current_language())[:40],
        chart=chart,
    )


@bp.get("/<month>/map")
@roles_required(*READERS)
def map_page(month):
    month = parse_month(month)
    language = current_language()
    layers = {}
    for tier in ("street", "work_grid"):
        table = sc.month_scorecard(month, tier)
        layers[tier] = {
            str(r.subject_id): {"score": r.score, "grade": r.grade, "rank": r.rank, "name": r.subject_name}
            for r in table.rows
        }
    page_data = {
        "month": month,
        "layers": layers,
        "colours": GRADE_COLOURS,
        "subject_url": url_for(".subject_page", month=month, tier="TIER", subject_id=0)[: -len("TIER/0")],
        "texts": ui_texts(language, MAP_TEXTS + ("sc_tier_street", "sc_tier_work_grid")),
    }
    return _render("scorecards_map.html", nav=_month_nav(month), page_data=page_data)


@bp.get("/cases/<int:case_id>")
@roles_required(*READERS)
def case_page(case_id):
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("not_found", what=f"case {case_id}")
    events = list(
        db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    )
    lines = list(zip(events, history_lines(events, current_language()), strict=True))
    return _render("scorecards_case.html", case=case, lines=lines, nav=None)


# ---------------------------------------------------------------- exports


@bp.get("/<month>/<tier>.xlsx")
@roles_required(*READERS)
def export_xlsx(month, tier):
    from gridcity.scorecards.presentation import exports

    month = parse_month(month)
    version = parse_version(request.args.get("version"))
    language = current_language()
    if tier == "contest":
        data = exports.contest_xlsx(sc.contest_ranking(month, version), language)
    elif tier == "bulletin":  # the whole month: every tier, the contest, the definitions
        data = exports.month_xlsx(month, version, language)
    else:
        data = exports.table_xlsx(sc.month_scorecard(month, parse_tier(tier), version), language)
    return _download(data, f"scorecard-{month}-{tier}.xlsx", exports.XLSX_TYPE)


@bp.get("/<month>/<tier>.pdf")
@roles_required(*READERS)
def export_pdf(month, tier):
    from gridcity.scorecards.presentation import bulletin

    month = parse_month(month)
    version = parse_version(request.args.get("version"))
    language = current_language()
    if tier == "bulletin":  # the month's bulletin (考核通报)
        data = bulletin.month_bulletin(month, version, language)
        return _download(data, f"scorecard-{month}-{tier}.pdf", "application/pdf")
    months = trend_months(month)
    if tier == "contest":
        contest = sc.contest_ranking(month, version)
        trends = {r.street_id: [] for r in contest.rows}
        for m in months:
            by_id = {r.street_id: r.score for r in sc.contest_ranking(m).rows}
            for sid in trends:
                trends[sid].append(by_id.get(sid))
        data = bulletin.contest_pdf(contest, months, trends, language)
    else:
        table = sc.month_scorecard(month, parse_tier(tier), version)
        top = [r.subject_id for r in table.rows[:TREND_MAX_LINES]]
        months, trends = tier_trend(table.tier, month, top)
        data = bulletin.table_pdf(table, months, trends, language)
    return _download(data, f"scorecard-{month}-{tier}.pdf", "application/pdf")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )

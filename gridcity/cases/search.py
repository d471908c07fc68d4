"""Find any case (案卷查询): by its number (whole or its last digits), the
reporter's phone, words of its description, address or history notes, and by
place, unit, category, state (closed and voided included) and report time.

One service for the API, the search page and the benchmark. On PostgreSQL
each kind of search meets an index of migration 0017_search (the number read
backwards, the contact's digits and the texts by trigram); SQLite, the
embedded default, reads its few cases with plain LIKE.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select, text, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import defer, selectinload
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from gridcity.cases import states
from gridcity.cases.models import Case, CaseEvent
from gridcity.cases.queries import visible_cases
from gridcity.core.auth import role_name
from gridcity.core.errors import Forbidden, GridCityError
from gridcity.extensions import db
from gridcity.geo.models import Community, Street, UnitGrid, WorkGrid
from gridcity.ops.retention import PHONE_PATTERN, phone_key
from gridcity.org.models import UNIT_ROLES, Role, User
from gridcity.taxonomy.models import Category

# Who may search: the centers' staff every case, a unit's members their unit's.
# Inspectors work their grids from the phone app (their tasks), not this desk.
SEARCH_ROLES = (
    Role.OPERATOR,
    Role.SHIFT_LEADER,
    Role.DISPATCHER,
    Role.MANAGER,
    Role.ADMIN,
    *UNIT_ROLES,
)
PAGE_DEFAULT, PAGE_MAX = 50, 200
# Beyond this many matches the answer says "more than" instead of counting on.
COUNT_CAP = 1000
# Shorter number endings would match a large share of all cases.
MIN_NUMBER_DIGITS = 3
# A phone is looked for from this many digits on (a mainland mobile has 11).
MIN_PHONE_DIGITS = 7
MIN_TEXT_CHARS = 2
MAX_QUERY_CHARS = 100
# Words common to many cases are first looked for among the newest (days back).
WINDOW_DAYS = (7, 91)
_NUMBERISH = re.compile(r"^[0-9A-Za-z-]+$")
_PHONEISH = re.compile(r"^[\d\s+\-()]+$")


class phone_digits(FunctionElement):
    """The digits of a stored contact (``张先生 138-1234-5678`` → ``13812345678``):
    the expression migration 0017_search indexes on PostgreSQL."""

    type = String()
    inherit_cache = True


@compiles(phone_digits, "postgresql")
def _phone_digits_pg(element, compiler, **kw):
    return f"regexp_replace({compiler.process(element.clauses, **kw)}, '[^0-9]', '', 'g')"


@compiles(phone_digits)
def _phone_digits_other(element, compiler, **kw):
    # SQLite has no regexp_replace: drop the separators people write.
    text = compiler.process(element.clauses, **kw)
    for ch in (" ", "-", "(", ")", "+", "/", ".", ":"):
        text = f"replace({text}, '{ch}', '')"
    return text


@dataclass
class SearchQuery:
    """What to look for; every field optional (``None`` = any)."""

    q: str | None = None
    state: list[str] = field(default_factory=list)
    street: int | None = None
    community: int | None = None
    work_grid: int | None = None
    unit_grid: str | None = None
    unit: int | None = None
    category: list[str] = field(default_factory=list)
    reported_from: dt.datetime | None = None
    reported_to: dt.datetime | None = None
    limit: int = PAGE_DEFAULT
    offset: int = 0


@dataclass
class SearchResult:
    cases: list[Case]
    total: int
    more: bool  # ``total`` is COUNT_CAP and there are more
    kinds: list[str]  # what q was read as: number, phone, text


def parse_moment(value: str | None, zone: dt.tzinfo, end: bool = False) -> dt.datetime | None:
    """An ISO date or date-time from a form. A date alone is a day in the
    city's time zone; as the end of a period it is the whole day, so the
    period ends at the next midnight. A date-time without an offset is city
    time too (what the person typing it means)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time(), zone) + (
                dt.timedelta(days=1) if end else dt.timedelta()
            )
        else:
            moment = dt.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
    except ValueError:
        raise GridCityError("search_bad_date", value=text[:40]) from None
    if not 1970 <= moment.year < 2200:
        raise GridCityError("search_bad_date", value=text[:40])
    return moment.astimezone(dt.UTC)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _matching_ids(q: str, since: dt.datetime | None = None) -> tuple[Select, list[str]]:
    """The ids of the cases ``q`` names, as one UNION of index-backed selects,
    and the kinds it was read as. ``since`` keeps the words to cases reported
    from then on (notes: written from then on, a superset)."""
    q = q.strip()
    if len(q) > MAX_QUERY_CHARS:
        raise GridCityError("search_query_too_long", most=MAX_QUERY_CHARS)
    parts: list[Select] = []
    kinds: list[str] = []
    compact = re.sub(r"[\s\-]", "", q)
    if (
        _NUMBERISH.match(compact)
        and any(ch.isdigit() for ch in compact)
        and len(compact) >= MIN_NUMBER_DIGITS
    ):
        kinds.append("number")
        # Letters, digits and dashes only: nothing LIKE would read as a wildcard.
        if _is_postgres():
            # The number read backwards: its ending becomes a prefix a btree finds.
            suffix = func.reverse(Case.number).like(compact[::-1] + "%")
        else:
            suffix = Case.number.like("%" + compact)
        parts.append(select(Case.id).where(or_(Case.number == compact, suffix)))
    digits = phone_key(q)
    if _PHONEISH.match(q) and len(digits) >= MIN_PHONE_DIGITS:
        kinds.append("phone")
        parts.append(
            select(Case.id).where(
                Case.reporter_contact.is_not(None),
                phone_digits(Case.reporter_contact).like(f"%{digits}%"),
            )
        )
    if not _PHONEISH.match(q):
        if len(q) < MIN_TEXT_CHARS:
            raise GridCityError("search_query_too_short", least=MIN_TEXT_CHARS)
        kinds.append("text")
        pattern = f"%{_like_escape(q)}%"
        description, address, note = Case.description, Case.address, CaseEvent.note
        recent = () if since is None else (Case.reported_at >= since,)
        written = () if since is None else (CaseEvent.at >= since,)
        parts.append(select(Case.id).where(description.ilike(pattern, escape="\\"), *recent))
        parts.append(select(Case.id).where(address.ilike(pattern, escape="\\"), *recent))
        parts.append(
            select(CaseEvent.case_id).where(CaseEvent.note != "", note.ilike(pattern, escape="\\"), *written)
        )
    if not parts:
        # Digits too few for a number ending and no text: say what is needed.
        raise GridCityError("search_query_too_short", least=MIN_NUMBER_DIGITS)
    return (parts[0] if len(parts) == 1 else union(*parts)), kinds


def _check_states(wanted: list[str]) -> list[str]:
    unknown = set(wanted) - set(states.STATES) - {"open"}
    if unknown:
        raise GridCityError("search_bad_state", value=", ".join(sorted(unknown))[:80])
    out = [s for s in wanted if s != "open"]
    if "open" in wanted:
        out += list(states.OPEN_STATES)
    return out


def search_query(
    user: User, query: SearchQuery, since: dt.datetime | None = None
) -> tuple[Select, list[str]]:
    """The cases ``user`` may see that match ``query`` (reported from
    ``since`` on, when given)."""
    if user.role not in {r.value for r in SEARCH_ROLES}:
        raise Forbidden("forbidden_role", role=role_name(user.role))
    statement = visible_cases(user)
    kinds: list[str] = []
    if query.q and query.q.strip():
        ids, kinds = _matching_ids(query.q, since)
        statement = statement.where(Case.id.in_(ids))
    if since is not None:
        statement = statement.where(Case.reported_at >= since)
    if query.state:
        statement = statement.where(Case.state.in_(_check_states(query.state)))
    for value, column in (
        (query.street, Case.street_id),
        (query.community, Case.community_id),
        (query.work_grid, Case.work_grid_id),
        (query.unit, Case.unit_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if query.unit_grid:
        grid_id = db.session.scalar(select(UnitGrid.id).where(UnitGrid.code == query.unit_grid.strip()))
        if grid_id is None:
            raise GridCityError("search_unknown_unit_grid", code=query.unit_grid[:40])
        statement = statement.where(Case.unit_grid_id == grid_id)
    if query.category:
        ids = db.session.scalars(select(Category.id).where(Category.code.in_(query.category))).all()
        if len(ids) < len(set(query.category)):
            known = set(db.session.scalars(select(Category.code).where(Category.code.in_(query.category))))
            missing = ", ".join(sorted(set(query.category) - known))
            raise GridCityError("search_unknown_category", code=missing[:80])
        statement = statement.where(Case.category_id.in_(ids))
    if query.reported_from and query.reported_to and query.reported_from >= query.reported_to:
        raise GridCityError("search_bad_period")
    if query.reported_from:
        statement = statement.where(Case.reported_at >= query.reported_from)
    if query.reported_to:
        statement = statement.where(Case.reported_at < query.reported_to)
    return statement, kinds


def _newest_first(statement: Select) -> Select:
    return statement.with_only_columns(Case.id).order_by(Case.reported_at.desc(), Case.id.desc())


def search(user: User, query: SearchQuery) -> SearchResult:
    """One page of the matches, newest report first, and how many there are
    (up to COUNT_CAP).

    Words common to many cases (a phrase in every tenth description) would
    make the database read every match to find the newest few: such a
    search first looks among the cases of the last week, then quarter, and
    goes to everything only when it found too few there to fill the page and
    pass the count's cap (PostgreSQL; SQLite's few cases are read at once)."""
    statement, kinds = search_query(user, query)
    limit = max(1, min(query.limit, PAGE_MAX))
    offset = max(0, query.offset)
    if _is_postgres():
        # Short queries: compiling them to machine code costs more than it saves.
        db.session.execute(text("SET LOCAL jit = off"))
    # For words, the last week first (its cases and the words' index meet),
    # then the last quarter, then everything.
    windows: list[dt.datetime | None] = [None]
    if "text" in kinds and _is_postgres():
        newest = db.session.scalar(select(func.max(Case.reported_at)))
        if newest is not None:
            windows = [newest - dt.timedelta(days=d) for d in WINDOW_DAYS] + [None]
    # One query gives the page and the count: the newest ids, up to one past
    # the count's cap (or the page's end, if further).
    need = offset + limit
    fetch = max(need, COUNT_CAP + 1)
    ids: list[int] = []
    for n, since in enumerate(windows):
        if since is not None and n and len(ids) * WINDOW_DAYS[n] / WINDOW_DAYS[n - 1] <= COUNT_CAP:
            continue  # at the last window's rate this one would not do either
        windowed = statement if since is None else search_query(user, query, since)[0]
        ids = db.session.scalars(_newest_first(windowed).limit(fetch)).all()
        if len(ids) > COUNT_CAP and len(ids) >= min(need, fetch):
            break
    page = ids[offset:need]
    total = len(ids)
    # The page's cases with the list's names in two more queries, not one
    # per row; no geometry (the list has lon / lat).
    loaded = {
        c.id: c
        for c in db.session.scalars(
            select(Case)
            .where(Case.id.in_(page))
            .options(selectinload(Case.category), selectinload(Case.unit), defer(Case.geom))
        )
    }
    return SearchResult(
        cases=[loaded[i] for i in page], total=min(total, COUNT_CAP), more=total > COUNT_CAP, kinds=kinds
    )


def masked_phone(contact: str | None) -> str | None:
    """The first phone in a stored contact, masked (138****5678); no name."""
    if not contact:
        return None
    found = PHONE_PATTERN.findall(contact)
    if not found:
        return None
    key = phone_key(found[0])
    return f"{key[:3]}****{key[-4:]}" if len(key) >= 8 else f"****{key[-2:]}"


def result_items(cases: list[Case], language: str) -> list[dict]:
    """The rows of a result list: what a desk needs to pick a case, the
    reporter's phone masked."""
    if not cases:
        return []
    street_ids = {c.street_id for c in cases}
    community_ids = {c.community_id for c in cases}
    grid_ids = {c.work_grid_id for c in cases if c.work_grid_id is not None}
    unit_grid_ids = {c.unit_grid_id for c in cases}
    streets = dict(db.session.execute(select(Street.id, Street.name).where(Street.id.in_(street_ids))).all())
    communities = dict(
        db.session.execute(select(Community.id, Community.name).where(Community.id.in_(community_ids))).all()
    )
    work_grids = dict(
        db.session.execute(select(WorkGrid.id, WorkGrid.name).where(WorkGrid.id.in_(grid_ids))).all()
    )
    unit_grids = dict(
        db.session.execute(select(UnitGrid.id, UnitGrid.code).where(UnitGrid.id.in_(unit_grid_ids))).all()
    )
    items = []
    for c in cases:
        items.append(
            {
                "id": c.id,
                "number": c.number,
                "state": c.state,
                "category": {
                    "code": c.category.code,
                    "name": c.category.name_zh if language == "zh" else c.category.name_en,
                },
                "description": (c.description or "")[:120],
                "address": c.address,
                "street": streets.get(c.street_id),
                "community": communities.get(c.community_id),
                "work_grid": work_grids.get(c.work_grid_id),
                "unit_grid_code": unit_grids.get(c.unit_grid_id),
                "unit": None
                if c.unit is None
                else {"id": c.unit.id, "code": c.unit.code, "name": c.unit.name},
                "reported_at": c.reported_at.isoformat(),
                "closed_at": c.closed_at.isoformat() if c.closed_at else None,
                "phone": masked_phone(c.reporter_contact),
                "lon": c.lon,
                "lat": c.lat,
            }
        )
    return items

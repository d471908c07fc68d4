"""Placing what a caller says with our own data (no street-address gazetteer):
a unit grid code (单元网格编码) or a component code (部件编码, painted on the
cover), a street, community or work grid by name or code, and the addresses
of earlier cases. Each candidate carries a position (WGS-84) for the map.
Nothing found is a clear refusal that says what can be typed."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from gridcity.cases.models import Case
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import Community, Street, UnitGrid, WorkGrid
from gridcity.inventory.models import Component

MIN_LENGTH = 2
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class Candidate:
    kind: str  # unit_grid | component | street | community | work_grid | address
    label: str
    code: str | None
    lon: float
    lat: float

    def to_dict(self) -> dict:
        return asdict(self)


def _point(geom) -> tuple[float, float]:
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(point.x, 7), round(point.y, 7)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def geocode(text: str | None) -> list[Candidate]:
    """Candidates for ``text``, the most exact first (codes, then places whose
    name is in the text or holds it, then case addresses)."""
    text = (text or "").strip()
    if len(text) < MIN_LENGTH:
        raise GridCityError("geocode_too_short", min=MIN_LENGTH)
    found: list[Candidate] = []
    compact = text.replace(" ", "")
    if compact.isdigit():
        found += _by_code(compact)
    found += _places(text)
    found += _addresses(text)
    seen, unique = set(), []
    for c in found:
        key = (c.kind, c.code or c.label)
        if key not in seen:
            seen.add(key)
            unique.append(c)
    if not unique:
        raise GridCityError("geocode_not_found", status=404, text=text[:60])
    return unique[:MAX_CANDIDATES]


def _by_code(code: str) -> list[Candidate]:
    found = []
    grid = db.session.execute(select(UnitGrid.code, UnitGrid.geom).where(UnitGrid.code == code)).first()
    if grid is not None:
        found.append(Candidate("unit_grid", f"单元网格 {grid.code}", grid.code, *_point(grid.geom)))
    component = db.session.scalar(select(Component).where(Component.code == code))
    if component is not None:
        label = f"部件 {component.code} {component.category.name_zh}"
        found.append(Candidate("component", label, component.code, *_point(component.geom)))
    return found


def _places(text: str) -> list[Candidate]:
    """Streets, communities and work grids named in the text (沙头角街道海山路口)
    or whose name or code holds it (海山)."""
    found = []
    for model, kind in ((Community, "community"), (Street, "street"), (WorkGrid, "work_grid")):
        rows = db.session.execute(select(model.id, model.name, model.code, model.geom)).all()
        hits = [
            r
            for r in rows
            if r.geom is not None
            and r.name
            and (r.name in text or text in r.name or (r.code and r.code.lower() == text.lower()))
        ]
        # The longest name first: 海山社区 before 海山.
        for r in sorted(hits, key=lambda r: (-len(r.name), r.id)):
            code = r.code if kind == "work_grid" else None
            label = f"{r.name}（{r.code}）" if kind == "work_grid" else r.name
            found.append(Candidate(kind, label, code or f"{kind}:{r.id}", *_point(r.geom)))
    # A community named in the text is more exact than its street.
    order = {"community": 0, "work_grid": 1, "street": 2}
    return sorted(found, key=lambda c: order[c.kind])


def _addresses(text: str, limit: int = 5) -> list[Candidate]:
    """Addresses of earlier cases holding the text, newest first."""
    pattern = f"%{_escaped(text)}%"
    rows = db.session.execute(
        select(Case.address, func.max(Case.id).label("id"))
        .where(Case.address.is_not(None), Case.address.like(pattern, escape="\\"))
        .group_by(Case.address)
        .order_by(func.max(Case.id).desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    positions = {
        r.id: (r.lon, r.lat)
        for r in db.session.execute(
            select(Case.id, Case.lon, Case.lat).where(Case.id.in_([r.id for r in rows]))
        )
    }
    return [
        Candidate("address", r.address, None, round(positions[r.id][0], 7), round(positions[r.id][1], 7))
        for r in rows
    ]

"""Links out of an analysis: "转为治理任务" — the page that turns a hotspot
or a recurrence into a proactive task (主动治理, ``/proactive/new``) with
its basis, its cases and a suggested title."""

from __future__ import annotations

from urllib.parse import urlencode

from gridcity.analysis.hotspots import Hotspot
from gridcity.analysis.recurrences import Recurrence
from gridcity.web.ui_text import ui_text

PROACTIVE_NEW = "/proactive/new"


def task_title(place: str, category: str, language: str) -> str:
    return ui_text("an_task_title", language).format(place=place, category=category)


def task_url(basis: str, basis_id: str, case_ids: list[int], title: str) -> str:
    query = {"basis": basis, "id": basis_id, "cases": ",".join(str(i) for i in case_ids), "title": title}
    return f"{PROACTIVE_NEW}?{urlencode(query)}"


def hotspot_task_url(hotspot: Hotspot, language: str) -> str:
    place = hotspot.streets[0]["name"] if hotspot.streets else ""
    return task_url(
        "hotspot", hotspot.id, hotspot.case_ids, task_title(place, hotspot.category_name, language)
    )


def recurrence_id(recurrence: Recurrence) -> str:
    """Stable for the same inputs: the earlier and the later case's numbers."""
    return f"{recurrence.previous_number}-{recurrence.case_number}"


def recurrence_task_url(recurrence: Recurrence, language: str) -> str:
    place = recurrence.unit_grid_code if recurrence.by == "unit_grid" else recurrence.component_code
    title = task_title(f"{recurrence.street_name} {place} ", recurrence.category_name, language)
    return task_url(
        "recurrence", recurrence_id(recurrence), [recurrence.previous_id, recurrence.case_id], title
    )

"""The proactive-task operations of the OpenAPI document (gridcity/core/openapi.py
lists them with ``proactive_operations()``); their requests and answers are
the models of gridcity/proactive/schemas.py."""

from __future__ import annotations


def proactive_operations() -> list:
    from gridcity.core.apidoc import Op, ok
    from gridcity.proactive.services import CREATORS, MAX_BASIS_CASES, READERS

    return [
        Op("post", "/proactive-tasks", "proactive_api.create",
           "Raise a proactive task (主动治理) from a hotspot or recurrence",
           ok("The task: a case filed and dispatched at once to the unit, with the deadline.", 201),
           CREATORS,
           description="The case takes the basis cases' category (or `category`), their centre (or "
                       "`lon`/`lat`), the source `proactive`; its handling deadline is the moment given, "
                       "on the continuous clock. The basis (kind, id, case ids) is kept with it.",
           errors={400: "`bad_request`; `proactive_title_required`, `proactive_text_too_long`, "
                        "`proactive_category_required` (the basis cases differ in category).",
                   422: "`unknown_unit` (or inactive), `proactive_deadline_past`, `proactive_unknown_cases` "
                        "(no such case, or one outside your scope: the same answer), "
                        "`proactive_foreign_cases` (reports merged into another case), "
                        f"`unknown_category`, `outside_city`; at most {MAX_BASIS_CASES} basis cases."}),
        Op("get", "/proactive-tasks", "proactive_api.list_tasks",
           "Proactive tasks, newest first: state, unit, deadline, basis", ok(), READERS,
           errors={400: "`bad_request`: limit outside 1–500, or a negative offset."}),
        Op("get", "/proactive-tasks/export.xlsx", "proactive_api.export_tasks",
           "Proactive tasks as a workbook: the list page's columns, newest first", ok("The workbook."), READERS,
           media=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
           errors={400: "`bad_request`: limit outside 1–500, or a negative offset."}),
    ]  # fmt: skip

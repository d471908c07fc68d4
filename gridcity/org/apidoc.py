"""The organisation's admin operations of the OpenAPI document
(gridcity/core/openapi.py lists them with ``org_admin_operations()``); their
requests and answers are the models of gridcity/org/admin_schemas.py."""

from __future__ import annotations


def org_admin_operations() -> list:
    from gridcity.core.apidoc import Op, ok
    from gridcity.geo.organisation import MAX_PICKED
    from gridcity.org.models import Role

    admin = (Role.ADMIN,)
    unit_errors = {404: "`unit_not_found`."}
    return [
        Op("patch", "/units/{unit_id}", "org_admin.edit_unit",
           "Change a responsible unit's name, kind, contacts or street (audited unit.update)", ok(), admin,
           errors={400: "`bad_request`, `unit_name_required`, `unit_text_too_long`, `unit_bad_phone`, "
                        "`unit_bad_kind`, `unit_unknown_street`.", **unit_errors}),
        Op("post", "/units/{unit_id}/deactivate", "org_admin.deactivate_unit",
           "Deactivate (停用) a unit: no new dispatches, rules or proactive tasks go to it; never deleted",
           ok(), admin,
           description="Its running cases and history stay. Audited (unit.deactivate).",
           errors={**unit_errors,
                   409: "`unit_still_routed`: responsibility rules still route to it (the message names "
                        "them); move them first."}),
        Op("post", "/units/{unit_id}/reactivate", "org_admin.reactivate_unit",
           "Reactivate a deactivated unit (audited unit.reactivate)", ok(), admin, errors=unit_errors),
        Op("get", "/work-grids", "org_admin.work_grids",
           "Work grids (工作网格) with their area, work group, unit-grid count and inspectors", ok(), admin),
        Op("post", "/work-grids/{work_grid_id}/unit-grids/preview", "org_admin.preview_unit_grids",
           "What saving this set of unit grids would do: added, removed, taken from other work grids; saves "
           "nothing", ok(), admin,
           errors={400: f"`bad_request`; at most {MAX_PICKED} unit grids.",
                   404: "`work_grid_not_found`.", 422: "`org_unknown_unit_grids`."}),
        Op("put", "/work-grids/{work_grid_id}/unit-grids", "org_admin.save_unit_grids",
           "Make these the work grid's unit grids (the whole set); shapes and the locator follow", ok(), admin,
           description="A unit grid belongs to one work grid at a time: taking one from another work grid "
                       "needs `confirm_moves`. Cases keep the work grid stored on them; new reports are "
                       "placed by the new membership. Audited (work_grid.unit_grids) on each work grid "
                       "that changed.",
           errors={400: f"`bad_request`; at most {MAX_PICKED} unit grids.",
                   404: "`work_grid_not_found`.", 409: "`org_moves_need_confirm`: names the work grids.",
                   422: "`org_unknown_unit_grids`."}),
    ]  # fmt: skip

"""The command center's wall screen (大屏, ``/screen/``) and its JSON."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.dispatch import services as dispatch_services
from gridcity.org.models import Role
from gridcity.screen import schemas, services
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_keys, ui_texts

bp = Blueprint("screen", __name__)
api_bp = Blueprint("screen_api", __name__, url_prefix="/api/v1")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

# Who sits in the command center before the wall: the dispatchers, the shift
# leaders and the managers (the supervision center's operators have their desk).
SCREEN_ROLES = (Role.DISPATCHER, Role.SHIFT_LEADER, Role.MANAGER)
# Its own words, the live store's (status, alerts) and the history's actions.
TEXTS = ui_keys("scr_", "d_live_", "d_alert_", "d_action_")


@bp.get("/screen/")
@roles_required(*SCREEN_ROLES)
def screen_page():
    """The wall screen: figures, map and events, live; nothing to click."""
    user = current_user()
    language = current_language()
    overdue = next(q for q in dispatch_services.queues_for(user) if q.key == "overdue")
    page_data = {
        "lang": language,
        "texts": ui_texts(language, TEXTS),
        "overdue_queue": overdue.to_dict(),
        "bounds": web_views._city_bounds(),
        **dispatch_services.page_lookups(user, language),
        **basemap_page_data(current_app.config["SETTINGS"], language),
    }
    return render_template("screen/screen.html", page_data=page_data)


@api_bp.get("/screen")
@roles_required(*SCREEN_ROLES)
@operation(responses={200: schemas.ScreenState})
def screen_state():
    """Everything the wall screen shows, with the feed position it continues from."""
    return jsonify(services.screen_state(current_user()))

"""What a page's map needs to know about the basemap (底图): the tiles, their
datum, attribution and subdomains from the settings, and the note it shows
when there is none. Read by every page with a map (js/datum.js draws it)."""

from __future__ import annotations

from gridcity.core.i18n import translate
from gridcity.core.settings import Settings


def basemap_page_data(settings: Settings, language: str) -> dict:
    """The keys a page's data carries for its map. ``tile_url`` and
    ``tile_datum`` stay top-level: the scripts shift our WGS-84 geometry to
    GCJ-02 when (and only when) a GCJ-02 basemap is drawn."""
    return {
        "tile_url": settings.tile_url,
        "tile_datum": settings.tile_datum,
        "basemap": {
            "label_url": settings.tile_label_url,
            "attribution": settings.tile_attribution,
            "subdomains": settings.tile_subdomains,
            "max_zoom": settings.tile_max_zoom,
            "unavailable": translate("basemap_unavailable", language),
        },
    }

/* The home map: streets, work grids and (zoomed in) unit grids, all drawn from
   our own GeoJSON endpoints, over the configured basemap (OpenStreetMap by
   default; a note says when there is none). */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts;
  var fetchJSON = window.GridCity.fetchJSON;
  var mine = new Set(data.my_work_grid_ids || []);
  var STREET_COLOURS = ["#e8590c", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#d6336c", "#5c940d"];

  // Our data is WGS-84; a GCJ-02 basemap needs it shifted to line up.
  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";

  function toDisplay(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }

  function toData(latlng) {
    return shifted ? window.GridCityDatum.gcj02ToWgs84Approx(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
  }

  function coordsToLatLng(coords) {
    return toDisplay(coords[0], coords[1]);
  }

  // Tooltip content as text, never as HTML (names come from imported data).
  function textTooltip(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  var container = document.getElementById("map");
  // Half-step zooms let the whole city fill a phone screen instead of a quarter of it.
  var map = L.map(container, { zoomControl: true, zoomSnap: 0.5 });
  // Stacked inside the overlay pane: street fills under work-grid outlines under unit grids.
  var overlayPane = map.getPane("overlayPane");
  map.createPane("streets", overlayPane).style.zIndex = 1;
  map.createPane("workGrids", overlayPane).style.zIndex = 2;
  map.createPane("unitGrids", overlayPane).style.zIndex = 3;

  if (data.bounds) {
    var b = data.bounds;
    map.fitBounds(L.latLngBounds(toDisplay(b[0], b[1]), toDisplay(b[2], b[3])), { padding: [12, 12] });
  } else {
    map.setView([35, 105], 4);
  }
  L.control.scale({ imperial: false }).addTo(map);

  // Street labels shrink when the whole district is in view, so they do not overlap.
  function markScale() {
    container.classList.toggle("gc-zoomed-out", map.getZoom() < 13);
  }
  map.on("zoomend", markScale);
  markScale();

  // The basemap's street names under our grids (or a note that there is none).
  var baseLayers = {};
  var tiles = window.GridCityBasemap.add(map, data);
  if (tiles) baseLayers[T.layer_basemap] = tiles;

  // ---- streets: filled, one colour each, labelled
  var streetColour = {};
  var streets = L.geoJSON(null, {
    pane: "streets",
    coordsToLatLng: coordsToLatLng,
    style: function (feature) {
      var colour = streetColour[feature.properties.id] || STREET_COLOURS[0];
      return { className: "gc-street", color: colour, weight: 2, opacity: 0.9, fillColor: colour, fillOpacity: 0.22 };
    },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(textTooltip(feature.properties.name),
        { permanent: true, direction: "center", className: "street-label" });
    },
  }).addTo(map);

  // ---- work grids: outlines, the inspector's own highlighted
  var workGridLayers = {};
  var workGrids = L.geoJSON(null, {
    pane: "workGrids",
    coordsToLatLng: coordsToLatLng,
    style: function (feature) {
      if (mine.has(feature.properties.id)) {
        return { className: "gc-work-grid gc-mine", color: "#c92a2a", weight: 4, fillColor: "#ffd43b", fillOpacity: 0.3 };
      }
      return { className: "gc-work-grid", color: "#343a40", weight: 1.5, opacity: 0.8, fillOpacity: 0 };
    },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      workGridLayers[p.id] = layer;
      var label = p.code + " " + p.name + (p.area ? " · " + p.area : "") + (mine.has(p.id) ? " · " + T.my_grid : "");
      layer.bindTooltip(textTooltip(label), { sticky: true });
    },
  }).addTo(map);

  // ---- unit grids: thin outlines, fetched per view when zoomed in
  var unitGrids = L.geoJSON(null, {
    pane: "unitGrids",
    coordsToLatLng: coordsToLatLng,
    style: { className: "gc-unit-grid", color: "#495057", weight: 0.7, opacity: 0.85, fillOpacity: 0 },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(textTooltip(feature.properties.code), { sticky: true });
    },
  }).addTo(map);

  var overlays = {};
  overlays[T.layer_streets] = streets;
  overlays[T.layer_work_grids] = workGrids;
  overlays[T.layer_unit_grids] = unitGrids;
  L.control.layers(baseLayers, overlays, { collapsed: window.innerWidth < 720 }).addTo(map);

  var Hint = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      this._div = L.DomUtil.create("div", "map-hint");
      this._div.hidden = true;
      return this._div;
    },
    show: function (text) { this._div.textContent = text; this._div.hidden = false; },
    hide: function () { this._div.hidden = true; },
  });
  var hint = new Hint().addTo(map);

  function failed(result) {
    if (result && result.status === 401) {
      window.GridCity.redirectToLogin();
      return true;
    }
    if (!result || !result.ok) {
      hint.show(T.map_load_error);
      return true;
    }
    return false;
  }

  var pending = null;
  function refreshUnitGrids() {
    if (pending) pending.abort();
    pending = null;
    if (!map.hasLayer(unitGrids)) {
      hint.hide();
      return;
    }
    if (map.getZoom() < data.unit_grid_min_zoom) {
      unitGrids.clearLayers();
      hint.show(T.hint_zoom_in);
      return;
    }
    var view = map.getBounds();
    var sw = toData(view.getSouthWest());
    var ne = toData(view.getNorthEast());
    var bbox = [sw[0], sw[1], ne[0], ne[1]].map(function (v) { return v.toFixed(6); }).join(",");
    var controller = new AbortController();
    pending = controller;
    fetchJSON("/api/v1/geo/unit-grids?bbox=" + bbox, { signal: controller.signal })
      .then(function (result) {
        if (pending !== controller) return;
        pending = null;
        unitGrids.clearLayers();
        if (result.status === 413) {
          hint.show(T.hint_too_many);
          return;
        }
        if (failed(result)) return;
        unitGrids.addData(result.body);
        hint.hide();
        container.setAttribute("data-unit-grids", String(result.body.features.length));
      })
      .catch(function (error) {
        if (error.name !== "AbortError") hint.show(T.map_load_error);
      });
  }
  map.on("moveend", refreshUnitGrids);
  map.on("overlayadd overlayremove", refreshUnitGrids);
  refreshUnitGrids();

  fetchJSON("/api/v1/geo/streets").then(function (result) {
    if (failed(result)) return;
    result.body.features.forEach(function (feature, i) {
      streetColour[feature.properties.id] = STREET_COLOURS[i % STREET_COLOURS.length];
    });
    streets.addData(result.body);
    container.setAttribute("data-streets", String(result.body.features.length));
  });

  fetchJSON("/api/v1/geo/work-grids").then(function (result) {
    if (failed(result)) return;
    workGrids.addData(result.body);
    var own = Object.keys(workGridLayers).filter(function (id) { return mine.has(Number(id)); });
    own.forEach(function (id) { workGridLayers[id].bringToFront(); });
    if (own.length) {
      var area = L.latLngBounds([]);
      own.forEach(function (id) { area.extend(workGridLayers[id].getBounds()); });
      map.fitBounds(area, { padding: [24, 24], maxZoom: 14 });
    }
    container.setAttribute("data-work-grids", String(result.body.features.length));
  });

  // "Show on the map" buttons in the inspector's panel.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-zoom-work-grid]");
    if (!button) return;
    var layer = workGridLayers[button.getAttribute("data-zoom-work-grid")];
    if (layer) {
      map.fitBounds(layer.getBounds(), { padding: [24, 24] });
      container.scrollIntoView({ behavior: "smooth", block: "nearest" });
    }
  });

  // For the browser tests and for poking at the map from the console.
  window.GridCityMap = { map: map, streets: streets, workGrids: workGrids, unitGrids: unitGrids };
})();

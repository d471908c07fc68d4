/* The report's small map: the position, its unit grid, a marker the inspector
   drags to correct the GPS (the raw fix is kept beside the correction). Loads
   after the form is usable; works without a basemap. */
(function () {
  "use strict";
  var G = window.GCM;
  var map = null, marker = null, gridLayer = null, accuracyCircle = null;
  var gcj = G.data.tile_url && G.data.tile_datum === "gcj02";

  // Coordinates as the basemap draws them, and back (iterative inverse: exact to cm).
  function toMap(lon, lat) {
    var p = gcj ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return [p[1], p[0]];
  }
  function fromMap(latlng) {
    if (!gcj) return { lon: latlng.lng, lat: latlng.lat };
    var w = [latlng.lng, latlng.lat];
    for (var n = 0; n < 6; n++) {
      var g = window.GridCityDatum.wgs84ToGcj02(w[0], w[1]);
      w = [w[0] - (g[0] - latlng.lng), w[1] - (g[1] - latlng.lat)];
    }
    return { lon: w[0], lat: w[1] };
  }

  function init() {
    if (map || !window.L) return;
    var p = G.report.position();
    map = L.map("minimap", { zoomControl: true });
    map.attributionControl.setPrefix(false);
    map.setView(p ? toMap(p.lon, p.lat) : [22.58, 114.26], p ? 17 : 13);
    window.GridCityBasemap.add(map, G.data, { notePosition: "topright" });
    map.on("click", function (e) {
      // No fix yet (or a bad one): a tap places the marker.
      if (!G.geo.fix) moveTo(fromMap(e.latlng), true);
    });
    if (p) show(p);
    if (window.performance && performance.mark) performance.mark("gcm-map-ready");
  }

  function moveTo(p, byHand) {
    if (!marker) {
      marker = L.marker(toMap(p.lon, p.lat), { draggable: true, autoPan: true, keyboard: true,
        title: G.t("m_map_label"), alt: G.t("m_map_label") }).addTo(map);
      marker.on("dragend", function () { G.emit("marker-moved", fromMap(marker.getLatLng())); });
    } else {
      marker.setLatLng(toMap(p.lon, p.lat));
    }
    if (byHand) G.emit("marker-moved", p);
  }

  function show(p) {
    if (!map) return;
    moveTo(p, false);
    var fix = p.fix;
    if (fix) {
      var c = toMap(fix.lon, fix.lat);
      if (!accuracyCircle) accuracyCircle = L.circle(c, { radius: fix.accuracy, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
      else accuracyCircle.setLatLng(c).setRadius(fix.accuracy);
    }
    map.setView(toMap(p.lon, p.lat), Math.max(map.getZoom(), 17), { animate: false });
  }

  // The located unit grid, drawn from the grid layer around the point.
  function drawGrid(located) {
    if (!map) return;
    var p = G.report.position();
    if (!p) return;
    var d = 0.002;
    var bbox = [p.lon - d, p.lat - d, p.lon + d, p.lat + d].join(",");
    G.api("/api/v1/geo/unit-grids?bbox=" + bbox, { quiet: true }).then(function (r) {
      if (!r.ok) return;
      var feature = r.body.features.find(function (f) { return f.properties.id === located.unit_grid_id; });
      if (gridLayer) map.removeLayer(gridLayer);
      if (!feature) return;
      gridLayer = L.geoJSON(feature, {
        coordsToLatLng: function (c) { return L.latLng(toMap(c[0], c[1])); },
        style: { color: "#0b5cad", weight: 2, fillOpacity: 0.08 },
        interactive: false,
      }).addTo(map);
      document.getElementById("minimap").setAttribute("data-grid", located.unit_grid_code);
    }).catch(function () {});
  }

  // The grid may have been located before Leaflet arrived (a slow link): draw it now.
  G.on("map-ready", function () {
    init();
    var p = G.report.position();
    if (p) show(p);
    if (G.report.state.location) drawGrid(G.report.state.location);
  });
  G.on("report-position", show);
  G.on("report-grid", drawGrid);
  G.on("report-reset", function () { var p = G.report.position(); if (p) show(p); });
  G.minimap = { get map() { return map; }, get marker() { return marker; }, fromMap: fromMap, toMap: toMap };
})();

/* The report's small map: the position, its unit grid, a pin the inspector
   drags to correct the GPS (the raw fix is kept beside the correction).
   Without GPS it shows the inspector's own work grid and its unit grids, the
   pin at the work grid's centre to drag (or a tap places it). Loads after the
   form is usable; works without a basemap. */
(function () {
  "use strict";
  var G = window.GCM;
  var map = null, marker = null, gridLayer = null, accuracyCircle = null, workLayer = null;
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
      // No fix: a tap places the pin there.
      if (!G.geo.fix) { moveTo(fromMap(e.latlng)); G.emit("marker-moved", fromMap(e.latlng)); }
    });
    if (p) show(p);
    else if (G.geo.error) showWorkGrid();
    if (window.performance && performance.mark) performance.mark("gcm-map-ready");
  }

  function moveTo(p) {
    if (!marker) {
      marker = L.marker(toMap(p.lon, p.lat), { draggable: true, autoPan: true, keyboard: true,
        title: G.t("m_map_label"), alt: G.t("m_map_label") }).addTo(map);
      marker.on("dragend", function () { G.emit("marker-moved", fromMap(marker.getLatLng())); });
    } else {
      marker.setLatLng(toMap(p.lon, p.lat));
    }
  }

  function show(p) {
    if (!map) return;
    moveTo(p);
    var fix = p.fix;
    if (fix) {
      var c = toMap(fix.lon, fix.lat);
      if (!accuracyCircle) accuracyCircle = L.circle(c, { radius: fix.accuracy, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
      else accuracyCircle.setLatLng(c).setRadius(fix.accuracy);
    }
    map.setView(toMap(p.lon, p.lat), Math.max(map.getZoom(), 17), { animate: false });
  }

  // No GPS: my work grid (its outline, its unit grids) and the pin at its centre.
  function showWorkGrid() {
    var mine = G.data.me.scope.work_grids[0];
    if (!map || workLayer || !mine) return;
    workLayer = L.layerGroup().addTo(map);
    var style = function (color, weight) { return { color: color, weight: weight, fill: false }; };
    var geo = function (data, s) {
      return L.geoJSON(data, { coordsToLatLng: function (c) { return L.latLng(toMap(c[0], c[1])); }, style: s, interactive: false });
    };
    G.api("/api/v1/geo/work-grids?id=" + mine.id, { quiet: true }).then(function (r) {
      var grid = r.ok && r.body.features[0];
      if (!grid) return;
      var outline = geo(grid, style("#0b5cad", 3)).addTo(workLayer);
      map.fitBounds(outline.getBounds(), { animate: false });
      if (!G.report.position()) moveTo(fromMap(outline.getLayers()[0].getCenter()));
      var wgs = L.geoJSON(grid).getBounds();  // its box in WGS-84, for the unit grids inside
      var bbox = [wgs.getWest(), wgs.getSouth(), wgs.getEast(), wgs.getNorth()];
      return G.api("/api/v1/geo/unit-grids?bbox=" + bbox.join(","), { quiet: true }).then(function (u) {
        if (!u.ok) return;
        var own = u.body.features.filter(function (f) { return f.properties.work_grid_id === mine.id; });
        geo({ type: "FeatureCollection", features: own }, style("#5c6f82", 1)).addTo(workLayer);
        document.getElementById("minimap").setAttribute("data-unit-grids", String(own.length));
      });
    }).catch(function () {});
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
  G.on("fix", function (fix) { if (!fix) showWorkGrid(); });
  G.on("report-grid", drawGrid);
  G.on("report-reset", function () { var p = G.report.position(); if (p) show(p); });
  G.minimap = { get map() { return map; }, get marker() { return marker; }, fromMap: fromMap, toMap: toMap };
})();

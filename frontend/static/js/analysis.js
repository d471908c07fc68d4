/* The hotspot map of /analysis/: each hotspot a circle at its centre (its
   radius), its cases as dots, labelled with its rank; a click on a circle
   brings its row into view. Plain browser JS on the vendored Leaflet; the
   hotspots come in the page's data (the same list the table shows). */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var container = document.getElementById("an-map");
  if (!container || !window.L) { return; }

  // Our data is WGS-84; a GCJ-02 basemap needs it shifted to line up.
  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";
  function toDisplay(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }

  var map = L.map(container, { zoomControl: true, zoomSnap: 0.5 });
  window.GridCityBasemap.add(map, data);
  L.control.scale({ imperial: false }).addTo(map);
  // The view first (a circle needs the map's projection), from the hotspots' own points.
  var points = [];
  (data.hotspots || []).forEach(function (h) {
    points.push(toDisplay(h.lon, h.lat));
    (h.positions || []).forEach(function (p) { points.push(toDisplay(p[0], p[1])); });
  });
  if (points.length) {
    map.fitBounds(L.latLngBounds(points), { padding: [36, 36], maxZoom: 17 });
  } else if (data.bounds) {
    var b = data.bounds;
    map.fitBounds(L.latLngBounds(toDisplay(b[0], b[1]), toDisplay(b[2], b[3])));
  } else {
    map.setView([22.58, 114.27], 12);
  }
  // The streets' outlines, for orientation.
  window.GridCity.fetchJSON("/api/v1/geo/streets").then(function (result) {
    if (!result.ok) { return; }
    L.geoJSON(result.body, {
      coordsToLatLng: function (c) { return toDisplay(c[0], c[1]); },
      style: { color: "#495057", weight: 1.5, fillOpacity: 0.04, className: "an-street" },
      interactive: false,
    }).addTo(map).bringToBack();
    container.setAttribute("data-streets", "1");
  });
  var layer = L.featureGroup().addTo(map);

  (data.hotspots || []).forEach(function (h) {
    (h.positions || []).forEach(function (p) {
      L.circleMarker(toDisplay(p[0], p[1]), { radius: 3, weight: 1, color: "#c92a2a", fillOpacity: 0.8, className: "an-case" })
        .addTo(layer);
    });
    var circle = L.circle(toDisplay(h.lon, h.lat), {
      radius: Math.max(h.radius_m, 15), color: "#e8590c", weight: 2, fillOpacity: 0.15, className: "an-hotspot",
    }).addTo(layer);
    circle.bindTooltip(h.label, { permanent: h.rank <= 10, direction: "top", className: "an-hotspot-label" });
    circle.on("click", function () {
      var row = document.querySelector("tr[data-hotspot='" + h.id.replace(/'/g, "") + "']");
      if (row) { row.scrollIntoView({ block: "center" }); row.classList.add("an-picked"); }
    });
  });

  container.setAttribute("data-hotspots", String((data.hotspots || []).length));
})();

/* The geography page (/admin/geography): a map of the chosen layer, read from
   the admin export endpoint, or of the previewed file's features (those a
   problem names drawn red), over the configured basemap. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts || {};
  var container = document.getElementById("geo-map");
  var status = document.getElementById("geo-map-status");
  if (!container || !window.L) { return; }
  // Our data is WGS-84; a GCJ-02 basemap needs it shifted to line up.
  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";
  var map = L.map(container, { zoomControl: true, zoomSnap: 0.5 });
  map.setView([22.58, 114.27], 12);
  L.control.scale({ imperial: false }).addTo(map);
  window.GridCityBasemap.add(map, data);

  function coordsToLatLng(coords) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(coords[0], coords[1]) : coords;
    return L.latLng(p[1], p[0]);
  }

  function label(properties) {
    // Names come from uploaded files: text, never HTML.
    var span = document.createElement("span");
    span.textContent = properties.label || ((properties.name ? properties.name + " " : "") + (properties.code || ""));
    return span;
  }

  function draw(collection) {
    var features = collection.features || [];
    container.setAttribute("data-drawn", String(features.length));
    if (!features.length) { status.textContent = T.geo_map_empty || ""; return; }
    var layer = L.geoJSON(collection, {
      coordsToLatLng: coordsToLatLng,
      style: function (f) {
        var bad = f.properties && f.properties.flagged;
        return { color: bad ? "#c92a2a" : "#1c7ed6", weight: bad ? 3 : 1.5, fillOpacity: bad ? 0.35 : 0.15 };
      },
      onEachFeature: function (f, item) { item.bindTooltip(label(f.properties || {})); }
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [12, 12] });
  }

  if (data.preview) {
    draw(data.preview);
    return;
  }
  window.GridCity.fetchJSON(data.layer_url).then(function (result) {
    if (!result.ok) { throw new Error(String(result.status)); }
    draw(result.body);
  }).catch(function () { status.textContent = T.load_error || "error"; });
})();

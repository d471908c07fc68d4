/* The scorecard map (/scorecards/<month>/map): streets or work grids coloured
   by their grade that month; a click opens the subject's scorecard. Plain
   browser JS on our own GeoJSON API and the vendored Leaflet. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts || {};
  var container = document.getElementById("sc-map");
  var status = document.getElementById("sc-map-status");
  if (!container || !window.L) { return; }
  var map = L.map(container, { zoomControl: true, zoomSnap: 0.5 });
  map.setView([22.58, 114.27], 12);
  var sources = { street: "/api/v1/geo/streets", work_grid: "/api/v1/geo/work-grids" };
  var layers = {};

  function coordsToLatLng(coords) { return L.latLng(coords[1], coords[0]); }

  // Red at 60 points and below, through amber, to green at 100: the map
  // tells apart subjects of the same grade.
  function scoreColour(score) {
    var t = Math.max(0, Math.min(1, (score - 60) / 40));
    return "hsl(" + (120 * t).toFixed(1) + ", 70%, 38%)";
  }

  function style(tier) {
    return function (feature) {
      var s = (data.layers[tier] || {})[String(feature.properties.id)];
      return {
        color: "#333", weight: 1, fillOpacity: s ? 0.55 : 0.1,
        fillColor: s ? scoreColour(s.score) : "#999"
      };
    };
  }

  function load(tier) {
    if (layers[tier]) { return Promise.resolve(layers[tier]); }
    status.textContent = T.loading || "";
    return window.GridCity.fetchJSON(sources[tier]).then(function (result) {
      if (!result.ok) { throw new Error(String(result.status)); }
      var layer = L.geoJSON(result.body, {
        coordsToLatLng: coordsToLatLng,
        style: style(tier),
        onEachFeature: function (feature, item) {
          var s = (data.layers[tier] || {})[String(feature.properties.id)];
          var text = feature.properties.name + ": " +
            (s ? s.score.toFixed(2) + " (" + s.grade + ", #" + s.rank + ")" : (T.sc_no_score || "-"));
          item.bindTooltip(text);
          item.on("click", function () {
            window.location.assign(data.subject_url + tier + "/" + feature.properties.id);
          });
        }
      });
      layers[tier] = layer;
      status.textContent = "";
      return layer;
    }).catch(function () { status.textContent = T.load_error || "error"; });
  }

  function show(tier) {
    Object.keys(layers).forEach(function (k) { map.removeLayer(layers[k]); });
    load(tier).then(function (layer) {
      if (!layer) { return; }
      layer.addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds); }
    });
  }

  document.querySelectorAll("input[name='sc-layer']").forEach(function (input) {
    input.addEventListener("change", function () { if (input.checked) { show(input.value); } });
  });
  show("street");
})();

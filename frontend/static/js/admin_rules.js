/* The responsibility rules page (/admin/rules): a map of the chosen
   category's rules, each place coloured by the unit that answers there (the
   most specific place drawn on top, as routing decides), and "test a point":
   a click on the map or a typed position asks the route preview which unit a
   report there would go to and which rule says so. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts || {};
  var container = document.getElementById("rule-map");
  var status = document.getElementById("rule-map-status");
  var answer = document.getElementById("point-answer");
  var form = document.getElementById("test-point");
  if (!container || !window.L || !data.category) { return; }
  var COLOURS = ["#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#d6336c", "#5c940d"];
  var colours = {};
  var map = L.map(container, { zoomControl: true, zoomSnap: 0.5 });
  map.setView([22.58, 114.27], 12);
  var marker = null;

  function coordsToLatLng(coords) { return L.latLng(coords[1], coords[0]); }

  function colourOf(unit) {
    if (!(unit in colours)) { colours[unit] = COLOURS[Object.keys(colours).length % COLOURS.length]; }
    return colours[unit];
  }

  function legend(features) {
    var list = document.querySelector("[data-testid=rule-legend]");
    var seen = {};
    features.forEach(function (f) {
      var p = f.properties;
      if (seen[p.unit]) { return; }
      seen[p.unit] = true;
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colourOf(p.unit);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(p.unit_name));
      list.appendChild(item);
    });
  }

  var url = "/api/v1/responsibility-map?category=" + encodeURIComponent(data.category);
  window.GridCity.fetchJSON(url).then(function (result) {
    if (!result.ok) { throw new Error(String(result.status)); }
    var features = result.body.features;
    if (!features.length) { status.textContent = T.adm_map_empty || ""; return; }
    var layer = L.geoJSON(result.body, {
      coordsToLatLng: coordsToLatLng,
      style: function (f) {
        return { color: "#333", weight: 1, fillOpacity: 0.45, fillColor: colourOf(f.properties.unit) };
      },
      onEachFeature: function (f, item) {
        // A click on a place reaches the map too: the map's handler tests the point.
        item.bindTooltip(document.createTextNode(f.properties.place + " · " + f.properties.unit_name));
      }
    }).addTo(map);
    legend(features);
    map.fitBounds(layer.getBounds());
    container.setAttribute("data-drawn", String(features.length));
  }).catch(function () { status.textContent = T.load_error || "error"; });

  map.on("click", function (event) { test(event.latlng.lng, event.latlng.lat); });

  function say(text, ok) {
    answer.textContent = text;
    answer.className = ok ? "notice" : "form-error";
    answer.setAttribute("data-answered", String(Number(answer.getAttribute("data-answered") || 0) + 1));
  }

  function test(lon, lat) {
    document.getElementById("lon").value = lon.toFixed(6);
    document.getElementById("lat").value = lat.toFixed(6);
    if (marker) { map.removeLayer(marker); }
    marker = L.circleMarker([lat, lon], { radius: 6, color: "#000", fillOpacity: 1 }).addTo(map);
    var query = "?category=" + encodeURIComponent(data.category) + "&lon=" + lon + "&lat=" + lat;
    window.GridCity.fetchJSON("/api/v1/route" + query).then(function (result) {
      if (!result.ok) { say(result.body && result.body.message ? result.body.message : (T.load_error || "error"), false); return; }
      var rule = result.body.rule;
      say((T.adm_rule_unit || "{unit}").replace("{unit}", result.body.unit.name) + " " +
        (T.adm_rule_matched || "{kind} {place}")
          .replace("{kind}", T["place_kind_" + rule.place_kind] || "")
          .replace("{place}", rule.place), true);
    }).catch(function () { say(T.load_error || "error", false); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var lon = Number(document.getElementById("lon").value.trim());
    var lat = Number(document.getElementById("lat").value.trim());
    if (!document.getElementById("lon").value.trim() || !document.getElementById("lat").value.trim() ||
        !isFinite(lon) || !isFinite(lat)) {
      say(T.adm_rule_no_answer || "", false);
      return;
    }
    test(lon, lat);
  });
})();

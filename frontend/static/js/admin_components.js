/* The admin console's components (/admin/components): the inventory on the
   map, asked for the visible area and the chosen class and state each time
   the map stops moving (the server sends at most a few thousand points and
   says how many match); and on one component's page, its pin, which the admin
   drags to move it (the position fields follow, and the other way round).
   Our data is WGS-84; a GCJ-02 basemap has it shifted for drawing only. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts || {};
  if (!window.L) { return; }
  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";
  var COLOURS = { intact: "#2f9e44", damaged: "#e8590c", lost: "#c92a2a", occupied: "#ae3ec9" };

  function toDisplay(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }

  function toData(latlng) {
    return shifted ? window.GridCityDatum.gcj02ToWgs84(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
  }

  function newMap(container) {
    var map = L.map(container, { zoomControl: true, zoomSnap: 0.5 });
    if (window.GridCityBasemap) { window.GridCityBasemap.add(map, data); }
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  }

  // ---------------------------------------------------------------- the inventory map
  var mapBox = document.getElementById("component-map");
  if (mapBox) {
    var status = document.getElementById("component-map-status");
    var filters = document.getElementById("component-filters");
    var map = newMap(mapBox);
    var layer = L.layerGroup().addTo(map);
    var asked = 0;
    if (data.bounds) {
      var b = data.bounds;
      map.fitBounds(L.latLngBounds(toDisplay(b[0], b[1]), toDisplay(b[2], b[3])));
    } else {
      map.setView([22.58, 114.27], 12);
    }

    var popup = function (p) {
      var box = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = p.code;
      box.appendChild(title);
      box.appendChild(document.createTextNode(" " + (T["cmp_state_" + p.state] || "") + " "));
      var link = document.createElement("a");
      link.href = "/admin/components/" + encodeURIComponent(p.id);
      link.textContent = T.cmp_edit || "";
      link.setAttribute("data-testid", "component-edit-link");
      box.appendChild(link);
      return box;
    };

    var load = function () {
      var bounds = map.getBounds();
      var sw = toData(bounds.getSouthWest());
      var ne = toData(bounds.getNorthEast());
      var query = ["bbox=" + [sw[0], sw[1], ne[0], ne[1]].map(function (v) { return v.toFixed(6); }).join(",")];
      var chosen = document.getElementById("cmp-class").value;
      if (chosen.indexOf("major:") === 0) { query.push("major=" + encodeURIComponent(chosen.slice(6))); }
      else if (chosen) { query.push("category=" + encodeURIComponent(chosen)); }
      var state = document.getElementById("cmp-state").value;
      if (state) { query.push("state=" + encodeURIComponent(state)); }
      var mine = ++asked;
      window.GridCity.fetchJSON("/api/v1/components/map?" + query.join("&")).then(function (result) {
        if (mine !== asked) { return; } // a newer view's answer is on its way
        if (!result.ok) {
          status.textContent = (result.body && result.body.message) || T.load_error || "";
          return;
        }
        layer.clearLayers();
        var radius = map.getZoom() < 14 ? 3 : 6; // a district's worth of points stays readable
        result.body.features.forEach(function (f) {
          var c = f.geometry.coordinates;
          L.circleMarker(toDisplay(c[0], c[1]), {
            radius: radius, weight: 1, color: "#333", fillOpacity: 0.85, fillColor: COLOURS[f.properties.state] || "#1c7ed6"
          }).bindPopup(popup(f.properties)).addTo(layer);
        });
        var body = result.body;
        status.textContent = body.total
          ? (T.cmp_map_shown || "{shown} / {n}").replace("{shown}", String(body.shown)).replace("{n}", String(body.total))
          : (T.cmp_map_none || "");
        mapBox.setAttribute("data-total", String(body.total));
        mapBox.setAttribute("data-shown", String(body.shown));
        mapBox.setAttribute("data-loads", String(Number(mapBox.getAttribute("data-loads") || 0) + 1));
      }).catch(function () { status.textContent = T.load_error || ""; });
    };

    map.on("moveend", load);
    filters.addEventListener("submit", function (event) { event.preventDefault(); load(); });
    filters.addEventListener("change", load);
    load();
  }

  // ---------------------------------------------------------------- one component's pin
  var pinBox = document.getElementById("component-pin-map");
  if (pinBox) {
    var lonField = document.getElementById("lon");
    var latField = document.getElementById("lat");
    var pinMap = newMap(pinBox);
    var at = toDisplay(data.lon, data.lat);
    pinMap.setView(at, 18);
    var pin = L.marker(at, { draggable: true, keyboard: true }).addTo(pinMap);
    pin.on("dragend", function () {
      var p = toData(pin.getLatLng());
      lonField.value = p[0].toFixed(6);
      latField.value = p[1].toFixed(6);
      pinBox.setAttribute("data-moved", "1");
    });
    var follow = function () {
      var lon = Number(lonField.value), lat = Number(latField.value);
      if (lonField.value.trim() && latField.value.trim() && isFinite(lon) && isFinite(lat)) {
        pin.setLatLng(toDisplay(lon, lat));
        pinMap.panTo(pin.getLatLng());
      }
    };
    lonField.addEventListener("change", follow);
    latField.addEventListener("change", follow);
  }
})();

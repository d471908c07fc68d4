/* 公众地图: the public cases from /api/v1/public/map (positions at their unit
   grid's centroid), on the map and as a list, with filters. No inline code
   (CSP); the words come from the page's data. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var texts = data.texts || {};
  var lang = document.documentElement.lang === "en" ? "en" : "zh";
  var map = null, layer = null;
  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";

  function t(key) { return texts[key] || key; }
  function toMap(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return [p[1], p[0]];
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function line(p) {
    var li = el("li");
    li.setAttribute("data-status", p.status);
    li.appendChild(el("strong", (lang === "zh" ? p.category.name_zh : p.category.name_en) + " · " + t("pub_status_" + p.status)));
    var dates = t("pub_reported_on") + " " + p.reported_on;
    if (p.expected_on) dates += " · " + t("pub_expected_on") + " " + p.expected_on;
    if (p.closed_on) dates += " · " + t("pub_closed_on") + " " + p.closed_on;
    li.appendChild(el("span", dates, "muted"));
    p.photos.forEach(function (url, n) {
      var img = el("img", "", "pf-photo");
      img.src = url;
      img.alt = t("pub_photo") + " " + (n + 1);
      img.loading = "lazy";
      li.appendChild(img);
    });
    return li;
  }

  function load() {
    var form = document.getElementById("pf-filters");
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (f) { if (f.name && f.value) params.set(f.name, f.value); });
    var status = document.getElementById("pf-map-status");
    var list = document.getElementById("pf-map-list");
    status.textContent = t("pub_map_loading");
    fetch("/api/v1/public/map?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) { status.textContent = r.body.message || t("pub_map_error"); list.replaceChildren(); return; }
        var features = r.body.features;
        status.textContent = features.length ? "" : t("pub_map_empty");
        list.replaceChildren.apply(list, features.map(function (f) { return line(f.properties); }));
        list.setAttribute("data-loaded", String(features.length));
        if (!map) return;
        layer.clearLayers();
        features.forEach(function (f) {
          var c = f.geometry.coordinates, p = f.properties;
          L.circleMarker(toMap(c[0], c[1]), { radius: 7, weight: 2, color: "#fff", fillColor: p.status === "closed" ? "#2e7d32" : "#0b5cad", fillOpacity: 0.9 })
            .bindTooltip((lang === "zh" ? p.category.name_zh : p.category.name_en) + " · " + t("pub_status_" + p.status))
            .addTo(layer);
        });
        if (features.length) map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 16, animate: false });
      })
      .catch(function () { status.textContent = t("pub_map_error"); });
  }

  function start() {
    var box = document.getElementById("pf-map");
    if (window.L && box) {
      map = L.map(box, { zoomControl: true });
      map.attributionControl.setPrefix(false);
      if (window.GridCityBasemap) window.GridCityBasemap.add(map, data);
      map.setView([22.57, 114.27], 13);
      layer = L.featureGroup().addTo(map);
    }
    document.getElementById("pf-filters").addEventListener("submit", function (e) { e.preventDefault(); load(); });
    load();
  }

  start();
})();

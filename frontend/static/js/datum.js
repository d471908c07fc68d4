/* WGS-84 -> GCJ-02, the datum Chinese basemaps (AMap, Tencent) draw in.
   Everything the server sends is WGS-84; the map shifts it here, and only here,
   when the configured basemap is GCJ-02. Same formula as gridcity/geo/coords.py.
   Also the basemap itself (GridCityBasemap): the configured tiles with their
   attribution, or a plain note when there are none or they cannot be reached. */
(function () {
  "use strict";
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var PI = Math.PI;

  function inChina(lon, lat) {
    return lon > 72.004 && lon < 137.8347 && lat > 0.8293 && lat < 55.8271;
  }

  function offsets(lon, lat) {
    if (!inChina(lon, lat)) return [0, 0];
    var x = lon - 105.0;
    var y = lat - 35.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dlat += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dlat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dlat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dlon += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dlon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dlon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radlat = lat / 180.0 * PI;
    var magic = 1 - EE * Math.sin(radlat) * Math.sin(radlat);
    var sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * PI);
    dlon = (dlon * 180.0) / (A / sqrtmagic * Math.cos(radlat) * PI);
    return [dlon, dlat];
  }

  function wgs84ToGcj02(lon, lat) {
    var d = offsets(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  // One-step inverse: off by a few metres, which is fine for a bounding-box
  // query and nothing else (stored data is converted server-side, exactly).
  function gcj02ToWgs84Approx(lon, lat) {
    var d = offsets(lon, lat);
    return [lon - d[0], lat - d[1]];
  }

  // Iterative inverse, to well under a centimetre: for a position someone
  // clicks on the map and the server stores (a hotline call's place).
  function gcj02ToWgs84(lon, lat) {
    var p = gcj02ToWgs84Approx(lon, lat);
    for (var i = 0; i < 10; i++) {
      var back = wgs84ToGcj02(p[0], p[1]);
      var dx = lon - back[0], dy = lat - back[1];
      p = [p[0] + dx, p[1] + dy];
      if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) break;
    }
    return p;
  }

  window.GridCityDatum = {
    wgs84ToGcj02: wgs84ToGcj02, gcj02ToWgs84Approx: gcj02ToWgs84Approx, gcj02ToWgs84: gcj02ToWgs84,
  };

  /* The basemap of a page's map (page data from gridcity/core/basemap.py).
     Returns the tile layer (or null). The map's container says how it went in
     data-basemap: "off" (none configured), "loading", "ok" or "failed". */
  function addBasemap(map, data, options) {
    var config = data.basemap || {};
    var container = map.getContainer();
    var note = null;
    function showNote() {
      if (note) return;
      var Note = L.Control.extend({
        options: { position: (options && options.notePosition) || "bottomright" },
        onAdd: function () {
          var div = L.DomUtil.create("div", "map-basemap-note");
          div.setAttribute("role", "status");
          div.setAttribute("data-testid", "basemap-note");
          div.textContent = config.unavailable || "底图不可用 / No basemap available";
          return div;
        },
      });
      note = new Note().addTo(map);
    }
    if (!data.tile_url) {
      container.setAttribute("data-basemap", "off");
      showNote();
      return null;
    }
    container.setAttribute("data-basemap", "loading");
    var maxZoom = config.max_zoom || 19;
    var common = { maxZoom: maxZoom, subdomains: config.subdomains || "abc" };
    var layer = L.tileLayer(data.tile_url, Object.assign({ attribution: "" }, common));
    var loaded = 0;
    var failed = 0;
    // Tiles that cannot be fetched (no internet, a wrong key): say so instead of a grey sheet.
    layer.on("tileload", function () {
      loaded++;
      container.setAttribute("data-basemap", "ok");
      if (note) { map.removeControl(note); note = null; }
    });
    layer.on("tileerror", function () {
      failed++;
      if (!loaded && failed >= 2) {
        container.setAttribute("data-basemap", "failed");
        showNote();
      }
    });
    layer.addTo(map);
    if (config.label_url) L.tileLayer(config.label_url, common).addTo(map);
    if (config.attribution && map.attributionControl) {
      // Plain text from the settings: escaped, never read as HTML.
      var span = document.createElement("span");
      span.textContent = config.attribution;
      map.attributionControl.addAttribution(span.innerHTML);
    }
    return layer;
  }

  window.GridCityBasemap = { add: addBasemap };
})();

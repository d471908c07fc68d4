/* A work grid's page (/admin/work-grids/<id>): pick its unit grids on the map.
   The unit grids in view are drawn (this work grid's filled, another's grey,
   unassigned ones white); a click adds or removes one, the rectangle tool
   (two clicks for two corners) adds every unit grid whose centre lies inside.
   "Preview" asks the server what saving would do — added, removed, and the
   unit grids taken from other work grids, which must be confirmed — and
   "Save" stores the whole set; the page then reloads with its history. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts || {};
  var container = document.getElementById("pick-map");
  if (!container || !window.L || !data.work_grid) { return; }
  var fetchJSON = window.GridCity.fetchJSON;
  var me = data.work_grid.id;
  var selected = new Set(data.unit_grid_ids || []);
  var drawn = {}; // id -> {layer, workGrid, code, centre}
  var status = document.getElementById("pick-status");
  var summary = document.getElementById("pick-summary");
  var changes = document.getElementById("pick-changes");
  var movesWrap = document.getElementById("pick-moves-wrap");
  var confirmBox = document.getElementById("pick-confirm");
  var answer = document.getElementById("pick-answer");
  var boxButton = document.getElementById("pick-box");
  var map = L.map(container, { zoomControl: true, zoomSnap: 0.5, doubleClickZoom: false, maxZoom: 19 });
  map.setView([22.58, 114.27], 13);
  var grids = L.layerGroup().addTo(map);
  var boxMode = false, corner = null, cornerMarker = null;

  function coordsToLatLng(coords) { return L.latLng(coords[1], coords[0]); }

  function style(id) {
    var item = drawn[id];
    if (selected.has(id)) { return { color: "#1c7ed6", weight: 1, fillColor: "#1c7ed6", fillOpacity: 0.5 }; }
    if (item && item.workGrid > 0 && item.workGrid !== me) {
      return { color: "#868e96", weight: 1, fillColor: "#adb5bd", fillOpacity: 0.25 };
    }
    return { color: "#868e96", weight: 1, fillColor: "#ffffff", fillOpacity: 0.1 };
  }

  function mark(id) {
    var item = drawn[id];
    if (!item) { return; }
    item.layer.setStyle(style(id));
    var element = item.layer.getElement && item.layer.getElement();
    if (element) { element.setAttribute("data-selected", selected.has(id) ? "yes" : "no"); }
  }

  function counted() {
    status.textContent = (T.org_map_selected || "{n}").replace("{n}", String(selected.size));
    container.setAttribute("data-selected", String(selected.size));
    summary.hidden = true;
  }

  function toggle(id) {
    if (selected.has(id)) { selected.delete(id); } else { selected.add(id); }
    mark(id);
    counted();
  }

  var loads = 0;

  function load() {
    var mine = ++loads; // only the newest view's answer is drawn
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); });
    status.textContent = T.org_map_loading || "";
    fetchJSON("/api/v1/geo/unit-grids?bbox=" + bbox.join(",")).then(function (result) {
      if (mine !== loads) { return; }
      if (result.status === 413) {
        status.textContent = T.org_map_zoom_in || "";
        // Too many to draw: the first view closes in by itself, later ones ask for it.
        if (!container.hasAttribute("data-loaded")) { map.setZoom(map.getZoom() + 1, { animate: false }); }
        return;
      }
      if (!result.ok) { throw new Error(String(result.status)); }
      grids.clearLayers();
      drawn = {};
      L.geoJSON(result.body, {
        coordsToLatLng: coordsToLatLng,
        style: function () { return {}; },
        onEachFeature: function (f, layer) {
          var id = f.properties.id;
          drawn[id] = { layer: layer, workGrid: f.properties.work_grid_id, code: f.properties.code,
            centre: layer.getBounds().getCenter() };
          layer.bindTooltip(document.createTextNode(f.properties.code));
          layer.on("click", function (event) {
            if (boxMode) { return; } // the map's handler takes the corner
            L.DomEvent.stopPropagation(event);
            toggle(id);
          });
          grids.addLayer(layer);
        }
      });
      Object.keys(drawn).forEach(function (key) {
        var id = Number(key);
        var element = drawn[id].layer.getElement();
        if (element) { element.setAttribute("data-code", drawn[id].code); }
        mark(id);
      });
      container.setAttribute("data-loaded", String(Object.keys(drawn).length));
      counted();
    }).catch(function () { status.textContent = T.load_error || "error"; });
  }

  map.on("click", function (event) {
    if (!boxMode) { return; }
    if (!corner) {
      corner = event.latlng;
      cornerMarker = L.circleMarker(corner, { radius: 4, color: "#000" }).addTo(map);
      return;
    }
    var box = L.latLngBounds(corner, event.latlng);
    Object.keys(drawn).forEach(function (key) {
      var id = Number(key);
      if (box.contains(drawn[id].centre) && !selected.has(id)) { selected.add(id); mark(id); }
    });
    map.removeLayer(cornerMarker);
    corner = null;
    setBoxMode(false);
    counted();
  });

  function setBoxMode(on) {
    boxMode = on;
    boxButton.setAttribute("aria-pressed", on ? "true" : "false");
    container.classList.toggle("picking-box", on);
  }

  boxButton.addEventListener("click", function () { setBoxMode(!boxMode); });
  document.getElementById("pick-reset").addEventListener("click", function () {
    selected = new Set(data.unit_grid_ids || []);
    Object.keys(drawn).forEach(function (key) { mark(Number(key)); });
    counted();
  });

  function say(text, ok) {
    answer.textContent = text;
    answer.className = ok ? "notice" : "form-error";
  }

  function item(text) {
    var li = document.createElement("li");
    li.textContent = text;
    changes.appendChild(li);
  }

  function body() {
    return { unit_grid_ids: Array.from(selected), confirm_moves: confirmBox.checked };
  }

  document.getElementById("pick-preview").addEventListener("click", function () {
    var url = "/api/v1/work-grids/" + me + "/unit-grids/preview";
    fetchJSON(url, { method: "POST", json: body() }).then(function (result) {
      if (!result.ok) { say(result.body && result.body.message ? result.body.message : (T.load_error || "error"), false); return; }
      var p = result.body;
      changes.textContent = "";
      say("", true);
      if (!p.added.length && !p.removed.length) { item(T.org_preview_nothing || ""); }
      if (p.added.length) { item((T.org_preview_added || "{n}").replace("{n}", String(p.added.length))); }
      if (p.removed.length) { item((T.org_preview_removed || "{n}").replace("{n}", String(p.removed.length))); }
      p.moved_from.forEach(function (m) {
        item((T.org_preview_moved || "{n} {name}").replace("{n}", String(m.unit_grids.length))
          .replace("{name}", m.name + " (" + m.code + ")").replace("{codes}", m.unit_grids.slice(0, 20).join(", ")));
      });
      confirmBox.checked = false;
      movesWrap.hidden = !p.moved_from.length;
      summary.hidden = false;
    }).catch(function () { say(T.load_error || "error", false); });
  });

  document.getElementById("pick-save").addEventListener("click", function () {
    var url = "/api/v1/work-grids/" + me + "/unit-grids";
    fetchJSON(url, { method: "PUT", json: body() }).then(function (result) {
      if (!result.ok) { say(result.body && result.body.message ? result.body.message : (T.load_error || "error"), false); return; }
      window.location.assign(window.location.pathname + "?done=grids_saved");
    }).catch(function () { say(T.load_error || "error", false); });
  });

  // Start where this work grid is (or, empty, where its area's others are), then follow the view.
  fetchJSON("/api/v1/geo/work-grids").then(function (result) {
    if (!result.ok || !result.body.features.length) { load(); return; }
    var features = result.body.features;
    var own = features.filter(function (f) { return f.properties.id === me; });
    var area = features.filter(function (f) { return f.properties.area_id === data.work_grid.area_id; });
    var around = own.length ? own : (area.length ? area : features);
    var bounds = L.geoJSON({ type: "FeatureCollection", features: around }, { coordsToLatLng: coordsToLatLng }).getBounds();
    map.on("moveend", load);
    map.fitBounds(bounds, { animate: false, maxZoom: 16 });
  }).catch(function () { status.textContent = T.load_error || "error"; });
})();

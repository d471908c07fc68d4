/* The hotline intake page: the caller, the place (a click on the map or an
   address found in our own data), the category with its filing standard, the
   likely duplicates nearby with "add to that case", and the recent calls.
   The rules (who may, what is a duplicate) stay on the server. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts;
  var fetchJSON = window.GridCity.fetchJSON;
  var byId = function (id) { return document.getElementById(id); };
  var form = byId("call-form");
  var categories = {};
  (data.categories || []).forEach(function (c) { categories[c.code] = c; });
  var place = null; // {lon, lat, label} in WGS-84
  var lastDuplicates = [];

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return key in values ? values[key] : m; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function message(text, kind) {
    var box = byId("hl-message");
    box.textContent = text || "";
    box.className = "form-message" + (kind ? " form-message-" + kind : "");
    box.hidden = !text;
  }

  // As the case drawer writes times (js/live.js formatTime).
  function timeText(iso) {
    var d = new Date(iso);
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " "
      + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  /* ---- the map: WGS-84 data, shifted only for a GCJ-02 basemap */
  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";
  function toDisplay(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }
  function toData(latlng) {
    return shifted ? window.GridCityDatum.gcj02ToWgs84(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
  }

  var map = L.map("map", { zoomControl: true, zoomSnap: 0.5 });
  if (data.bounds) {
    var b = data.bounds;
    map.fitBounds(L.latLngBounds(toDisplay(b[0], b[1]), toDisplay(b[2], b[3])), { padding: [12, 12] });
  } else {
    map.setView([35, 105], 4);
  }
  L.control.scale({ imperial: false }).addTo(map);
  window.GridCityBasemap.add(map, data);
  function outlines(url, style) {
    var layer = L.geoJSON(null, {
      coordsToLatLng: function (c) { return toDisplay(c[0], c[1]); },
      style: style,
      interactive: false,
    }).addTo(map);
    return fetchJSON(url).then(function (result) { if (result.ok) layer.addData(result.body); });
  }
  var loaded = Promise.all([
    outlines("/api/v1/geo/streets", { color: "#1c7ed6", weight: 2, fillOpacity: 0.06 }),
    outlines("/api/v1/geo/work-grids", { color: "#495057", weight: 1, dashArray: "4 3", fillOpacity: 0 }),
  ]);
  var marker = null;
  var duplicateLayer = L.layerGroup().addTo(map);

  function choosePlace(lon, lat, label, pan) {
    place = { lon: lon, lat: lat, label: label };
    var at = toDisplay(lon, lat);
    if (marker) marker.setLatLng(at);
    else marker = L.circleMarker(at, { radius: 9, color: "#c92a2a", weight: 3, fillColor: "#ffd43b", fillOpacity: 0.9 }).addTo(map);
    if (pan) map.setView(at, Math.max(map.getZoom(), 17));
    byId("hl-place").textContent = format(T.hl_place_chosen, { label: label });
    document.body.setAttribute("data-place", lon.toFixed(6) + "," + lat.toFixed(6));
    refreshDuplicates();
  }

  map.on("click", function (event) {
    var p = toData(event.latlng);
    choosePlace(p[0], p[1], T.hl_place_clicked + "（" + p[0].toFixed(6) + ", " + p[1].toFixed(6) + "）", false);
  });

  /* ---- the address, found in our own data */
  function find() {
    var q = byId("hl-address").value.trim();
    var list = byId("hl-candidates");
    list.textContent = "";
    message("");
    fetchJSON("/api/v1/hotline/geocode?q=" + encodeURIComponent(q)).then(function (result) {
      if (result.status === 401) { window.GridCity.redirectToLogin(); return; }
      if (!result.ok) { message((result.body && result.body.message) || T.load_error, "error"); return; }
      result.body.forEach(function (c) {
        var label = (T["hl_kind_" + c.kind] || "") + " · " + c.label;
        var button = el("button", { type: "button", className: "link-button", "data-candidate": c.kind, text: label });
        button.addEventListener("click", function () {
          list.textContent = "";
          choosePlace(c.lon, c.lat, label, true);
        });
        list.appendChild(el("li", {}, [button]));
      });
    }).catch(function () { message(T.network_error, "error"); });
  }
  byId("hl-find").addEventListener("click", find);
  byId("hl-address").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); find(); }
  });

  /* ---- the category and its filing standard */
  byId("hl-category").addEventListener("change", function () {
    var c = categories[this.value];
    var box = byId("hl-standard");
    box.hidden = !c;
    if (c) box.querySelector("p").textContent = c.filing_standard || T.hl_no_standard;
    refreshDuplicates();
  });

  /* ---- likely duplicates nearby, before saving */
  var dupSeq = 0;
  function refreshDuplicates() {
    var category = byId("hl-category").value;
    var list = byId("hl-dup-list");
    var hint = byId("hl-dup-hint");
    if (!category || !place) {
      list.textContent = "";
      hint.textContent = T.hl_pick_first;
      return;
    }
    var seq = ++dupSeq;
    var url = "/api/v1/hotline/duplicates?category=" + encodeURIComponent(category)
      + "&lon=" + place.lon + "&lat=" + place.lat;
    fetchJSON(url).then(function (result) {
      if (seq !== dupSeq) return;
      list.textContent = "";
      duplicateLayer.clearLayers();
      if (!result.ok) { hint.textContent = (result.body && result.body.message) || T.load_error; return; }
      lastDuplicates = result.body;
      hint.textContent = result.body.length
        ? format(T.hl_duplicates_hint, { radius: Math.round(categories[category].radius_m) })
        : T.hl_no_duplicates;
      result.body.forEach(function (c) {
        var text = c.number + " · " + (T["d_state_" + c.state] || "") + " · "
          + format(T.hl_distance, { n: Math.round(c.distance_m) }) + (c.description ? " · " + c.description : "");
        var join = el("button", { type: "button", className: "button", "data-join": String(c.id), text: T.hl_join });
        join.addEventListener("click", function () { submit(c.id); });
        list.appendChild(el("li", { "data-testid": "duplicate", "data-number": c.number }, [el("span", { text: text }), join]));
        L.circleMarker(toDisplay(c.lon, c.lat), { radius: 7, color: "#862e9c", weight: 2, fillOpacity: 0.6 })
          .bindTooltip(c.number).addTo(duplicateLayer);
      });
      document.body.setAttribute("data-duplicates", String(result.body.length));
    });
  }

  /* ---- saving: a new case, or the call added to a duplicate */
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "hl-" + Date.now() + "-" + Math.random().toString(36).slice(2, 12);
  }

  function submit(joinCase) {
    message("");
    var category = byId("hl-category").value;
    if (!place) { message(T.hl_need_place, "error"); return; }
    if (!category) { message(T.hl_need_category, "error"); return; }
    var body = {
      channel: form.channel.value,
      category: category,
      lon: place.lon,
      lat: place.lat,
      description: form.description.value,
      caller_name: form.caller_name.value || null,
      caller_phone: form.caller_phone.value || null,
      callback_wanted: form.callback_wanted.checked,
      ticket_number: form.ticket_number.value || null,
      address: form.address.value || null,
    };
    if (joinCase) body.join_case = joinCase;
    var files = Array.prototype.slice.call(form.photos.files);
    var options = { method: "POST", headers: { "Idempotency-Key": newKey() } };
    if (files.length) {
      var multipart = new FormData();
      multipart.append("data", JSON.stringify(body));
      files.forEach(function (f) { multipart.append("photos", f, f.name); });
      options.body = multipart;
    } else {
      options.json = body;
    }
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetchJSON("/api/v1/hotline/calls", options).then(function (result) {
      buttons.forEach(function (b) { b.disabled = !data.can_take && b.id === "hl-save"; });
      if (result.status === 401) { window.GridCity.redirectToLogin(); return; }
      if (!result.ok) { message((result.body && result.body.message) || T.load_error, "error"); return; }
      var number = result.body.case.number;
      reset();
      message(format(result.body.created ? T.hl_saved : T.hl_joined, { number: number }), "ok");
      document.body.setAttribute("data-last-case", number);
      loadRecent();
    }).catch(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      message(T.network_error, "error");
    });
  }

  function reset() {
    var channel = form.channel.value;
    form.reset();
    form.channel.value = channel;
    place = null;
    lastDuplicates = [];
    if (marker) { map.removeLayer(marker); marker = null; }
    duplicateLayer.clearLayers();
    byId("hl-place").textContent = "";
    byId("hl-standard").hidden = true;
    byId("hl-candidates").textContent = "";
    refreshDuplicates();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit(null);
  });

  /* ---- the recent calls (masked) */
  function loadRecent() {
    return fetchJSON("/api/v1/hotline/calls").then(function (result) {
      var list = byId("hl-recent");
      list.textContent = "";
      if (!result.ok) { list.appendChild(el("li", { className: "muted", text: T.load_error })); return; }
      if (!result.body.length) list.appendChild(el("li", { className: "muted", text: T.hl_no_recent }));
      result.body.forEach(function (call) {
        var parts = [
          timeText(call.received_at),
          data.lang === "zh" ? call.channel.name_zh : call.channel.name_en,
          T.hl_case + " " + call.case_number + (call.joined ? "（" + T.hl_joined_call + "）" : ""),
          (call.caller_name || T.hl_anonymous) + (call.caller_phone ? " " + call.caller_phone : ""),
        ];
        list.appendChild(el("li", { "data-testid": "recent-call", text: parts.join(" · ") }));
      });
    });
  }

  Promise.all([loaded, loadRecent()]).then(function () {
    document.body.setAttribute("data-loaded", "1");
  });
  window.GridCityHotline = { map: map, toDisplay: toDisplay, duplicates: function () { return lastDuplicates; } };
})();

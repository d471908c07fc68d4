/* The command center's wall screen (/screen/): nothing to click.

   Two sources, one socket. The figures, boards and latest events come from
   GET /api/v1/screen, counted up to its feed position `seq`; every `case`
   event after it adds one to today's figure of its action and a line to the
   events. The open cases on the map are the live store the dispatch map
   uses (js/live.js: REST load, events on top, replay from /api/v1/events
   after a reconnect); the overdue figure is counted from it as the centers'
   超期 queue counts it. After a reconnect (or a `resync` notice) the screen
   loads /api/v1/screen again, so its numbers are a fresh load's; the month's
   boards also reload every minute and at midnight. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts;
  var fetchJSON = window.GridCity.fetchJSON;
  var LiveLib = window.GridCityLive;
  var format = LiveLib.format;
  var TODAY = { report: "reported", file: "filed", dispatch: "dispatched", close: "closed" };
  var EVENT_LINES = 20;
  var BOARD_REFRESH_MS = 60000;
  var DONE = ["handled", "checked"];
  var NEW = ["reported", "verifying", "accepted"];
  var UNIT = ["dispatched", "in_progress"];

  var categories = {};
  (data.categories || []).forEach(function (c) { categories[c.code] = c.name; });
  var streets = {};
  (data.streets || []).forEach(function (s) { streets[s.id] = s.name; });

  var state = null; // the last /api/v1/screen answer, with live additions
  var loading = null;
  var early = []; // events heard while a load is under way
  var seen = new Set(); // seqs already added (an event heard twice adds once)
  var clockOffset = 0;
  var loads = 0;

  function now() { return Date.now() + clockOffset; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(ms) { var d = new Date(ms); return pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function percent(rate) { return (rate * 100).toFixed(1) + "%"; }

  function panel(name) { return document.querySelector("[data-testid=" + name + "]"); }

  function setFigure(key, value) {
    var node = panel("fig-" + key);
    var valueNode = node.querySelector("[data-value]");
    valueNode.textContent = String(value);
    node.setAttribute("data-value", String(value));
  }

  /* ---- the figures */
  function overdueNow() {
    if (!live.loaded) return state ? state.today.overdue : null;
    var n = 0;
    live.cases.forEach(function (c) { if (LiveLib.inQueue(c, data.overdue_queue)) n++; });
    return n;
  }

  function renderFigures() {
    if (!state) return;
    ["reported", "filed", "dispatched", "closed"].forEach(function (key) { setFigure(key, state.today[key]); });
    var overdue = overdueNow();
    if (overdue !== null) setFigure("overdue", overdue);
    panel("fig-overdue").classList.toggle("figure-alarm", overdue > 0);
    var rate = state.on_time;
    var node = panel("fig-on-time");
    var target = percent(rate.target);
    node.querySelector(".rate-target").style.left = (rate.target * 100) + "%";
    if (rate.rate === null) {
      setFigure("on-time", "—");
      node.querySelector("[data-detail]").textContent = T.scr_no_rate + " · " + format(T.scr_target, { target: target });
      node.querySelector(".rate-fill").style.width = "0";
      node.classList.remove("below-target");
      return;
    }
    setFigure("on-time", percent(rate.rate));
    node.querySelector(".rate-fill").style.width = Math.min(rate.rate * 100, 100) + "%";
    var below = rate.rate < rate.target;
    node.classList.toggle("below-target", below);
    node.querySelector("[data-detail]").textContent =
      format(T.scr_on_time_detail, { due: rate.should_close, on_time: rate.closed_on_time }) + " · " +
      format(T.scr_target, { target: target }) + " · " + (below ? T.scr_below_target : T.scr_on_target);
  }

  /* ---- the boards */
  function fillBoard(name, rows, line, emptyText) {
    var list = panel(name).querySelector("[data-list]");
    list.textContent = "";
    if (!rows.length) {
      var empty = document.createElement("li");
      empty.className = "board-empty";
      empty.textContent = emptyText || T.scr_none;
      list.appendChild(empty);
    }
    rows.forEach(function (row) {
      var item = document.createElement("li");
      line(row).forEach(function (part) {
        var span = document.createElement("span");
        span.className = part[0];
        span.textContent = part[1];
        item.appendChild(span);
      });
      list.appendChild(item);
    });
    panel(name).setAttribute("data-rows", String(rows.length));
  }

  function renderBoards() {
    document.getElementById("screen-month").textContent = format(T.scr_month, { month: state.month });
    fillBoard("panel-worst-units", state.worst_units, function (u) {
      return [
        ["board-rank", format(T.scr_rank, { rank: u.rank })],
        ["board-name", u.name],
        ["board-value", format(T.scr_score, { score: u.score.toFixed(2) }) + " · " + format(T.scr_grade, { grade: u.grade })],
      ];
    });
    fillBoard("panel-contest", state.contest, function (c) {
      var parts = [
        ["board-rank", format(T.scr_rank, { rank: c.rank })],
        ["board-name", c.street],
        ["board-value", format(T.scr_score, { score: c.score.toFixed(1) })],
      ];
      if (c.card) parts.push(["board-card card-" + c.card, T["scr_card_" + c.card]]);
      return parts;
    });
    panel("panel-hotspots").querySelector("[data-hotspot-note]").textContent =
      format(T.scr_hotspots_note, { days: state.hotspot_days });
    fillBoard("panel-hotspots", state.hotspots, function (h) {
      return [
        ["board-name", h.category], ["board-sub", h.street],
        ["board-value", format(T.scr_cases_n, { n: h.cases }) + " · " + T["scr_hotspot_" + h.direction]],
      ];
    }, T.scr_no_hotspot);
    drawHotspots(state.hotspots);
  }

  // Each hotspot as a ring on the map, its radius the farthest of its cases.
  var hotspotLayer = null;
  function drawHotspots(hotspots) {
    if (hotspotLayer) hotspotLayer.remove();
    hotspotLayer = L.layerGroup(hotspots.map(function (h) {
      return L.circle(toDisplay(h.lon, h.lat), {
        radius: Math.max(h.radius_m, 60), interactive: false, className: "screen-hotspot",
        color: "#ff6b6b", weight: 2, fill: true, fillOpacity: 0.12, dashArray: "6 4",
      });
    })).addTo(map);
    document.body.setAttribute("data-hotspots", String(hotspots.length));
  }

  /* ---- the latest events */
  function eventLine(e) {
    var item = document.createElement("li");
    item.setAttribute("data-seq", String(e.seq));
    item.setAttribute("data-number", e.number);
    item.className = "event event-" + (TODAY[e.action] || "other");
    var parts = [
      ["event-time", hhmm(e.at * 1000)],
      ["event-action", T["scr_ev_" + e.action] || T["d_action_" + e.action] || ""],
      ["event-number", e.number],
      ["event-place", [categories[e.category], streets[e.street_id]].filter(Boolean).join(" · ")],
    ];
    parts.forEach(function (part) {
      var span = document.createElement("span");
      span.className = part[0];
      span.textContent = part[1];
      item.appendChild(span);
    });
    return item;
  }

  // Only whole lines: those the panel cannot hold are hidden, not cut in half.
  function fitEvents() {
    var list = panel("panel-events").querySelector("[data-list]");
    var items = Array.prototype.slice.call(list.children);
    items.forEach(function (item) { item.hidden = false; });
    var bottom = list.getBoundingClientRect().bottom;
    items.forEach(function (item) { if (item.getBoundingClientRect().bottom > bottom + 1) item.hidden = true; });
  }

  function renderEvents() {
    var list = panel("panel-events").querySelector("[data-list]");
    list.textContent = "";
    state.events.forEach(function (e) { list.appendChild(eventLine(e)); });
    fitEvents();
  }

  function addEvent(e) {
    var list = panel("panel-events").querySelector("[data-list]");
    var item = eventLine(e);
    item.classList.add("event-new");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > EVENT_LINES) list.lastChild.remove();
    fitEvents();
    state.events.unshift(e);
    state.events.length = Math.min(state.events.length, EVENT_LINES);
  }

  /* ---- live events */
  function apply(payload) {
    if (!payload || !payload.case || typeof payload.seq !== "number") return;
    if (!state || loading) { early.push(payload); return; }
    if (payload.seq <= state.seq || seen.has(payload.seq)) return;
    seen.add(payload.seq);
    var key = TODAY[payload.action];
    if (key) state.today[key] += 1;
    var c = payload.case;
    addEvent({
      seq: payload.seq, action: payload.action, at: now() / 1000, number: c.number,
      category: c.category, street_id: c.street_id, lon: c.lon, lat: c.lat,
    });
    renderFigures();
    document.body.setAttribute("data-screen-seq", String(payload.seq));
  }

  /* ---- loading (first, after a reconnect, every minute, at midnight) */
  var midnight = null;
  function load() {
    if (loading) return loading;
    loading = fetchJSON("/api/v1/screen").then(function (result) {
      if (result.status === 401) { loading = null; window.GridCity.redirectToLogin(); return; }
      if (!result.ok) throw new Error("screen " + result.status);
      state = result.body;
      clockOffset = state.now * 1000 - Date.now();
      seen = new Set();
      loads += 1;
      loading = null;
      renderFigures();
      renderBoards();
      renderEvents();
      var waiting = early;
      early = [];
      waiting.sort(function (a, b) { return a.seq - b.seq; }).forEach(apply);
      document.body.setAttribute("data-screen-loads", String(loads));
      document.body.setAttribute("data-screen-seq", String(state.seq));
      if (midnight) clearTimeout(midnight);
      midnight = setTimeout(load, Math.max(state.day_end * 1000 - now(), 0) + 1000);
    }).catch(function () {
      loading = null;
      setTimeout(load, 3000);
    });
    return loading;
  }

  /* ---- the map: open cases from the live store */
  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";
  function toDisplay(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }
  var map = L.map("map", {
    zoomControl: false, attributionControl: true, preferCanvas: true,
    dragging: false, scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false,
    zoomSnap: 0.25,
  });
  function fit() {
    if (!data.bounds) { map.setView([35, 105], 4); return; }
    var b = data.bounds;
    map.fitBounds(L.latLngBounds(toDisplay(b[0], b[1]), toDisplay(b[2], b[3])), { padding: [16, 16] });
  }
  fit();
  window.addEventListener("resize", function () {
    map.invalidateSize();
    fit();
    markers.forEach(function (m) { m.setRadius(m.urgent ? radius() * 1.5 : radius()); });
    if (state) fitEvents();
  });
  // Markers as big on a 4K wall as on a 1080p one.
  function radius() { return Math.max(4, Math.round(window.innerWidth / 400)); }
  window.GridCityBasemap.add(map, data);
  fetchJSON("/api/v1/geo/streets").then(function (result) {
    if (!result.ok) return;
    L.geoJSON(result.body, {
      coordsToLatLng: function (xy) { return toDisplay(xy[0], xy[1]); },
      style: { className: "screen-street", color: "#4dabf7", weight: 1.5, opacity: 0.7, fillColor: "#1c7ed6", fillOpacity: 0.06 },
      interactive: false,
    }).addTo(map);
  });

  function colour(c) {
    if (c.overdue) return "#ff4d4f";
    if (c.warned) return "#fab005";
    if (NEW.indexOf(c.state) >= 0) return "#4dabf7";
    if (c.state === "filed") return "#b197fc";
    if (UNIT.indexOf(c.state) >= 0) return "#ff922b";
    if (DONE.indexOf(c.state) >= 0) return "#51cf66";
    return "#adb5bd";
  }

  var markers = new Map();
  function draw(c) {
    var marker = markers.get(c.id);
    var style = { radius: c.urgency === "urgent" ? radius() * 1.5 : radius(), color: colour(c), fillColor: colour(c), fillOpacity: 0.85, weight: 1 };
    if (marker) {
      marker.urgent = c.urgency === "urgent";
      marker.setLatLng(toDisplay(c.lon, c.lat));
      marker.setStyle(style);
      return;
    }
    marker = L.circleMarker(toDisplay(c.lon, c.lat), Object.assign({ interactive: false }, style)).addTo(map);
    marker.caseId = c.id;
    marker.urgent = c.urgency === "urgent";
    markers.set(c.id, marker);
  }

  var live = LiveLib.create({ texts: T, categoryName: function (code) { return categories[code] || ""; } });
  live.onChange(function (changes, reason) {
    if (reason === "load") {
      markers.forEach(function (m) { m.remove(); });
      markers.clear();
      live.cases.forEach(draw);
    } else {
      changes.forEach(function (change) {
        if (change.after) { draw(change.after); return; }
        var marker = markers.get(change.id);
        if (marker) { marker.remove(); markers.delete(change.id); }
      });
    }
    document.getElementById("map-count").textContent = format(T.scr_open_cases, { n: live.cases.size });
    document.body.setAttribute("data-markers", String(markers.size));
    renderFigures();
  });
  live.start();
  var everConnected = false;
  live.socket.on("connect", function () {
    if (everConnected) load(); // back after a drop: the figures as a fresh load gives them
    everConnected = true;
  });
  live.socket.on("resync", function () { load(); });
  live.socket.on("case", apply);
  load();
  setInterval(function () { if (live.socket.connected) load(); }, BOARD_REFRESH_MS);

  /* ---- the clock */
  var clock = document.getElementById("screen-clock");
  function tick() {
    var d = new Date(now());
    clock.textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  tick();
  setInterval(tick, 1000);

  // For the browser tests (and a look from the console).
  window.GridCityScreen = { live: live, markers: markers, map: map, load: load, state: function () { return state; } };
})();

/* 巡查: start a patrol of a kind (needs a connection: the server gives it its
   number), record a GPS breadcrumb every interval while it runs (through the
   outbox, so no signal loses nothing), tag reports made meanwhile, stop after
   a confirm. The running patrol and its track survive a reload
   (localStorage); the map draws the track and the unit grids the server
   counts as covered so far (GET /api/v1/patrols/<id>/progress). */
(function () {
  "use strict";
  var G = window.GCM;
  var KEY = "gcm.patrol";
  var patrol = null;
  var timer = null, clock = null;
  var last = null;
  var MAX_TRACK = 5000;  // points kept on the phone for the map (a long day at 5 s)
  var map = null, line = null, gridLayer = null, asking = null;

  function save() {
    if (patrol) localStorage.setItem(KEY, JSON.stringify(patrol));
    else localStorage.removeItem(KEY);
  }

  function restore() {
    try { patrol = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { patrol = null; }
  }

  function crumb() {
    var fix = G.geo.fix;
    if (!patrol || !fix) return;
    var point = { at: new Date().toISOString(), lon: fix.lon, lat: fix.lat, accuracy_m: fix.accuracy };
    if (last) patrol.distance += G.distance(last, point);
    last = point;
    patrol.points += 1;
    patrol.track = (patrol.track || []).concat([[fix.lon, fix.lat]]).slice(-MAX_TRACK);
    save();
    render();
    drawTrack();
    G.outbox.add("crumb", { patrol_id: patrol.id, point: point }).then(function () { G.outbox.flush(); });
  }

  function startTimers() {
    clearInterval(timer);
    clearInterval(clock);
    timer = setInterval(crumb, patrol.interval_s * 1000);
    clock = setInterval(render, 1000);
  }

  function render() {
    var running = !!patrol;
    document.getElementById("patrol-start").hidden = running;
    document.getElementById("patrol-running").hidden = !running;
    document.getElementById("patrol-banner").hidden = !running;
    document.body.setAttribute("data-patrol", running ? String(patrol.id) : "");
    if (!running) return;
    var s = Math.max(0, Math.floor((Date.now() - Date.parse(patrol.started_at)) / 1000));
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    document.getElementById("patrol-kind").textContent = G.t("m_patrol_" + patrol.kind);
    document.getElementById("patrol-elapsed").textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    document.getElementById("patrol-points").textContent = String(patrol.points);
    document.getElementById("patrol-distance").textContent = G.fmtDistance(patrol.distance);
  }

  // ---- the map: the track as recorded here, the covered grids as the server counts them
  function initMap() {
    if (map || !patrol || !window.L || G.current() !== "patrol") return;
    map = L.map("patrol-map", { zoomControl: true });
    map.attributionControl.setPrefix(false);
    window.GridCityBasemap.add(map, G.data, { notePosition: "topright" });
    var fix = G.geo.fix;
    if (fix) map.setView(G.minimap.toMap(fix.lon, fix.lat), 16);
    drawTrack();
    drawGrids();
  }

  function drawTrack() {
    if (!map || !patrol) return;
    var points = (patrol.track || []).map(function (c) { return G.minimap.toMap(c[0], c[1]); });
    if (!line) line = L.polyline(points, { color: "#b42318", weight: 4, interactive: false }).addTo(map);
    else line.setLatLngs(points);
    document.getElementById("patrol-map").setAttribute("data-track", String(points.length));
    if (points.length && G.current() === "patrol") map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 17, animate: false });
  }

  function drawGrids() {
    if (!map || !patrol || !patrol.grids) return;
    if (gridLayer) map.removeLayer(gridLayer);
    gridLayer = L.geoJSON(patrol.grids, {
      coordsToLatLng: function (c) { return L.latLng(G.minimap.toMap(c[0], c[1])); },
      style: { color: "#0b5cad", weight: 1, fillOpacity: 0.15 },
      interactive: false,
    }).addTo(map);
    if (line) line.bringToFront();
    document.getElementById("patrol-map").setAttribute("data-grids", String(patrol.grids.features.length));
  }

  // What the server holds so far; one look at a time.
  function progress() {
    if (!patrol || asking || !G.online()) return;
    var id = patrol.id;
    asking = G.api("/api/v1/patrols/" + id + "/progress", { quiet: true }).then(function (r) {
      asking = null;
      if (!r.ok || !patrol || patrol.id !== id) return;
      patrol.grids = r.body.grids;
      patrol.grid_count = r.body.unit_grids.length;
      // A patrol resumed on a phone that did not record it: the server's track.
      if (!patrol.track || patrol.track.length < r.body.track.length) patrol.track = r.body.track;
      save();
      document.getElementById("patrol-grids-so-far").textContent = String(patrol.grid_count);
      drawTrack();
      drawGrids();
    }).catch(function () { asking = null; });
  }

  function dropMap() {
    if (map) map.remove();
    map = null; line = null; gridLayer = null;
  }

  function start(event) {
    event.preventDefault();
    var error = document.getElementById("patrol-error");
    error.hidden = true;
    if (!G.online()) { error.textContent = G.t("m_patrol_needs_signal"); error.hidden = false; return; }
    var kind = document.querySelector("#patrol-start input[name=kind]:checked").value;
    var interval = parseInt(document.getElementById("patrol-interval").value, 10);
    var button = document.getElementById("patrol-start-button");
    button.disabled = true;
    G.api("/api/v1/patrols", { method: "POST", json: { kind: kind, interval_s: interval } }).then(function (r) {
      button.disabled = false;
      if (!r.ok) { error.textContent = G.message(r); error.hidden = false; return; }
      begin(r.body);
    }).catch(function () {
      button.disabled = false;
      error.textContent = G.t("m_patrol_needs_signal");
      error.hidden = false;
    });
  }

  function begin(body) {
    patrol = { id: body.id, kind: body.kind, interval_s: body.interval_s, started_at: body.started_at, points: body.point_count || 0, distance: 0, track: [] };
    last = null;
    document.getElementById("patrol-result").hidden = true;
    save();
    startTimers();
    crumb();
    render();
    document.getElementById("patrol-grids-so-far").textContent = "0";
    progress();
    G.loadLater().then(initMap).catch(function () {});
  }

  // Ending is final: asked in our words first (a dialog, not the browser's confirm).
  function askToStop() {
    if (!patrol) return;
    document.getElementById("patrol-stop-dialog").showModal();
    document.getElementById("patrol-stop-cancel").focus();
  }

  function stop() {
    if (!patrol) return;
    crumb();
    var id = patrol.id;
    clearInterval(timer);
    clearInterval(clock);
    G.outbox.add("stop", { patrol_id: id }).then(function () {
      patrol = null;
      last = null;
      save();
      render();
      dropMap();
      var box = document.getElementById("patrol-result");
      box.replaceChildren(G.el("h3", { text: G.t("m_patrol_stopped") }));
      box.hidden = false;
      return G.outbox.flush();
    });
  }

  G.on("sent", function (e) {
    if (e.item.kind === "crumb" && patrol && G.current() === "patrol") progress();
    if (e.item.kind !== "stop" || !e.body) return;
    var box = document.getElementById("patrol-result");
    box.replaceChildren(
      G.el("h3", { text: G.t("m_patrol_stopped") }),
      G.el("dl", { class: "facts" }, [
        G.el("dt", { text: G.t("m_patrol_distance") }), G.el("dd", { text: G.fmtDistance(e.body.distance_m), "data-testid": "patrol-distance-final" }),
        G.el("dt", { text: G.t("m_patrol_points") }), G.el("dd", { text: String(e.body.point_count) }),
        G.el("dt", { text: G.t("m_patrol_grids") }), G.el("dd", { text: String(e.body.unit_grids.length), "data-testid": "patrol-grids" }),
        G.el("dt", { text: G.t("m_patrol_findings") }), G.el("dd", { text: String(e.body.findings.length), "data-testid": "patrol-findings" }),
      ])
    );
    box.hidden = false;
  });

  G.on("start", function () {
    document.getElementById("patrol-start").addEventListener("submit", start);
    document.getElementById("patrol-stop").addEventListener("click", askToStop);
    var dialog = document.getElementById("patrol-stop-dialog");
    document.getElementById("patrol-stop-cancel").addEventListener("click", function () { dialog.close(); });
    document.getElementById("patrol-stop-confirm").addEventListener("click", function () { dialog.close(); stop(); });
    restore();
    if (patrol) startTimers();
    render();
    if (patrol) document.getElementById("patrol-grids-so-far").textContent = String(patrol.grid_count || 0);
    // The server knows best: a patrol started on this phone before a reinstall, or stopped elsewhere.
    if (G.online()) {
      Promise.all([G.api("/api/v1/patrols?state=running", { quiet: true }), G.outbox.all()]).then(function (answers) {
        var r = answers[0];
        if (!r.ok) return;
        var running = r.body[0];
        var stopping = answers[1].some(function (i) { return i.kind === "stop" && running && i.payload.patrol_id === running.id; });
        if (running && !stopping && (!patrol || patrol.id !== running.id)) {
          patrol = null;
          begin(running);
        }
      }).catch(function () {});
    }
  });

  G.on("tab", function (name) {
    if (name !== "patrol" || !patrol) return;
    progress();
    G.loadLater().then(function () { if (map) map.invalidateSize(); else initMap(); }).catch(function () {});
  });

  G.patrol = { running: function () { return patrol; }, crumb: crumb };
})();

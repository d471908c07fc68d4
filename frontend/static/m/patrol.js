/* 巡查: start a patrol of a kind (needs a connection: the server gives it its
   number), record a GPS breadcrumb every interval while it runs (through the
   outbox, so no signal loses nothing), tag reports made meanwhile, stop. The
   running patrol survives a reload (localStorage). */
(function () {
  "use strict";
  var G = window.GCM;
  var KEY = "gcm.patrol";
  var patrol = null;
  var timer = null, clock = null;
  var last = null;

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
    save();
    render();
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
    patrol = { id: body.id, kind: body.kind, interval_s: body.interval_s, started_at: body.started_at, points: body.point_count || 0, distance: 0 };
    last = null;
    document.getElementById("patrol-result").hidden = true;
    save();
    startTimers();
    crumb();
    render();
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
      var box = document.getElementById("patrol-result");
      box.replaceChildren(G.el("h3", { text: G.t("m_patrol_stopped") }));
      box.hidden = false;
      return G.outbox.flush();
    });
  }

  G.on("sent", function (e) {
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
    document.getElementById("patrol-stop").addEventListener("click", stop);
    restore();
    if (patrol) startTimers();
    render();
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

  G.patrol = { running: function () { return patrol; }, crumb: crumb };
})();

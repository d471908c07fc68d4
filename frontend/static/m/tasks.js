/* 任务: my verify (核实) and check (核查) tasks, nearest first; a task opens
   the case with its photos under their stage (上报照片 / 处置照片), its place
   on a small map with the distance from here and a link to the phone's map
   app (geo: URI), and passes or fails with a note, a new photo and the
   position where it was done. The lifecycle rules stay on the server. */
(function () {
  "use strict";
  var G = window.GCM;
  var photos = [];
  var opened = null;
  var map = null, me = null;

  function kindTag(kind) {
    return G.el("span", { class: "tag" + (kind !== "verify" ? " tag-check" : ""), text: G.t("m_task_" + kind) });
  }

  function load() {
    var list = document.getElementById("task-list");
    var fix = G.geo.fix;
    var url = "/api/v1/tasks" + (fix ? "?lon=" + fix.lon + "&lat=" + fix.lat : "");
    if (!G.online()) { G.toast(G.t("m_offline")); return Promise.resolve(); }
    return G.api(url).then(function (r) {
      if (!r.ok) { list.replaceChildren(G.el("li", { class: "muted", text: G.message(r) })); return; }
      var badge = document.getElementById("task-badge");
      badge.hidden = r.body.length === 0;
      badge.textContent = String(r.body.length);
      if (!r.body.length) { list.replaceChildren(G.el("li", { class: "muted", text: G.t("m_tasks_empty") })); return; }
      list.replaceChildren.apply(list, r.body.map(function (task) {
        var c = task.case;
        return G.el("li", { "data-task-id": task.id, "data-kind": task.kind }, [G.el("button", { type: "button", onclick: function () { open(task); } }, [
          kindTag(task.kind),
          G.el("strong", { text: c.number }), " ", G.data.lang === "zh" ? c.category.name_zh : c.category.name_en,
          G.el("span", { class: "task-meta" }, [
            G.el("span", { text: task.distance_m !== null ? G.fmtDistance(task.distance_m) : "" }),
            task.overdue
              ? G.el("span", { class: "overdue", text: G.t("m_overdue") + " · " + G.fmtTime(task.due_at) })
              : G.el("span", { text: G.t("m_due", { time: G.fmtTime(task.due_at) }) }),
          ]),
        ])]);
      }));
    }).catch(function () { G.toast(G.t("network_error")); });
  }

  function open(task) {
    G.api("/api/v1/cases/" + task.case.id).then(function (r) {
      if (!r.ok) { G.toast(G.message(r)); return; }
      opened = { task: task, kase: r.body };
      photos = [];
      render();
    }).catch(function () { G.toast(G.t("m_task_needs_signal")); });
  }

  function render() {
    var c = opened.kase, task = opened.task;
    var detail = document.getElementById("task-detail");
    // 复核 (recheck): a citizen said the closed case is not fixed.
    var passText = task.kind === "verify" ? G.t("m_verify_pass") : task.kind === "recheck" ? G.t("m_recheck_pass") : G.t("m_pass");
    var failText = task.kind === "verify" ? G.t("m_verify_fail") : task.kind === "recheck" ? G.t("m_recheck_fail") : G.t("m_fail");
    var thumbs = G.el("ul", { class: "thumbs", id: "task-photo-list" }, photos.map(function (b, n) {
      return G.el("li", {}, [G.el("img", { src: URL.createObjectURL(b), alt: G.t("m_photos") + " " + (n + 1) })]);
    }));
    G.fill(detail, [
      G.el("button", { type: "button", class: "button button-secondary", text: G.t("m_back"), onclick: close }),
      G.el("div", { class: "card" }, [
        G.el("h2", {}, [kindTag(task.kind), c.number]),
        G.el("p", { text: (G.data.lang === "zh" ? c.category.name_zh : c.category.name_en) + " · " + c.unit_grid_code }),
        c.description ? G.el("p", { text: c.description }) : null,
        c.address ? G.el("p", { class: "muted", text: c.address }) : null,
        G.el("p", { class: task.overdue ? "overdue" : "muted", text: (task.overdue ? G.t("m_overdue") + " · " : "") + G.t("m_due", { time: G.fmtTime(task.due_at) }) }),
        G.el("div", { id: "task-map", class: "minimap", role: "region", "aria-label": G.t("m_task_map") }),
        G.el("div", { class: "row place-row" }, [
          G.el("span", { id: "task-distance", class: "muted" }),
          G.el("a", { id: "task-navigate", class: "button button-secondary", href: geoUri(c), text: G.t("m_navigate") }),
        ]),
        G.el("h3", { text: G.t("m_case_photos") }),
      ].concat(G.myReports.photoGroups(c.photos))),
      G.el("div", { class: "card" }, [
        G.el("input", { type: "file", id: "task-photo", class: "visually-hidden", accept: "image/*", capture: "environment",
          onchange: function (e) { addPhoto(e.target.files); } }),
        G.el("label", { for: "task-photo", class: "button button-secondary file-button", text: G.t("m_add_photo") }),
        thumbs,
        G.el("label", { for: "task-note", text: task.kind !== "verify" ? G.t("m_check_note") : G.t("m_note") }),
        G.el("textarea", { id: "task-note", rows: "2", "aria-describedby": "task-note-error",
          oninput: function () { var e = document.getElementById("task-note-error"); if (e) e.hidden = true; } }),
        G.el("p", { class: "form-error", id: "task-note-error", role: "alert", hidden: true, text: G.t("m_check_needs_reason") }),
        G.el("p", { class: "form-error", id: "task-error", role: "alert", hidden: true }),
        G.el("div", { class: "actions" }, [
          G.el("button", { type: "button", class: "button button-ok", id: "task-pass", text: passText, onclick: function () { act("pass"); } }),
          G.el("button", { type: "button", class: "button button-danger", id: "task-fail", text: failText, onclick: function () { act("fail"); } }),
        ]),
      ]),
    ]);
    document.getElementById("task-list").hidden = true;
    detail.hidden = false;
    window.scrollTo(0, 0);
    showDistance();
    G.loadLater().then(drawMap).catch(function () {});
  }

  // geo:lat,lon?q=lat,lon(label): the phone's map app opens at the case (WGS-84).
  function geoUri(c) {
    var at = c.lat.toFixed(6) + "," + c.lon.toFixed(6);
    return "geo:" + at + "?q=" + at + "(" + encodeURIComponent(c.number) + ")";
  }

  function showDistance() {
    var box = document.getElementById("task-distance");
    if (!box || !opened) return;
    var fix = G.geo.fix, c = opened.kase;
    box.textContent = fix ? G.t("m_distance_here", { d: G.fmtDistance(G.distance(fix, c)) }) : G.t("m_distance_unknown");
  }

  // The case's place (and mine, when known) on a small map; drawn again with
  // each render, since a render replaces the detail's nodes.
  function drawMap() {
    if (map) { map.remove(); map = null; me = null; }
    var box = document.getElementById("task-map");
    if (!opened || !box || !window.L) return;
    var c = opened.kase, toMap = G.minimap.toMap;
    map = L.map(box, { zoomControl: true });
    map.attributionControl.setPrefix(false);
    window.GridCityBasemap.add(map, G.data, { notePosition: "topright" });
    L.marker(toMap(c.lon, c.lat), { title: c.number, alt: c.number, keyboard: false }).addTo(map);
    map.setView(toMap(c.lon, c.lat), 17);
    showMe();
    box.setAttribute("data-ready", "1");
  }

  function showMe() {
    var fix = G.geo.fix;
    if (!map || !fix) return;
    var here = G.minimap.toMap(fix.lon, fix.lat);
    if (!me) {
      me = L.circleMarker(here, { radius: 7, color: "#fff", weight: 2, fillColor: "#0b5cad", fillOpacity: 1 })
        .bindTooltip(G.t("m_you_are_here")).addTo(map);
      var c = opened.kase;
      var bounds = L.latLngBounds([here, G.minimap.toMap(c.lon, c.lat)]);
      if (G.distance(fix, c) < 3000) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18, animate: false });
    } else {
      me.setLatLng(here);
    }
  }

  function addPhoto(files) {
    var note = document.getElementById("task-note").value;
    Promise.all(Array.prototype.map.call(files, G.resizePhoto)).then(function (blobs) {
      blobs.forEach(function (b) { if (b) photos.push(b); });
      render();
      document.getElementById("task-note").value = note;
    });
  }

  function act(result) {
    var error = document.getElementById("task-error");
    var task = opened.task;
    var onSite = task.kind === "check" || task.kind === "recheck";  // a new photo, a reason to rework
    if (onSite && !photos.length) {
      error.textContent = G.t("m_check_needs_photo");
      error.hidden = false;
      return;
    }
    var noteField = document.getElementById("task-note");
    if (onSite && result === "fail" && !noteField.value.trim()) {
      // The unit reworks the case by this reason: asked for at the field.
      document.getElementById("task-note-error").hidden = false;
      noteField.scrollIntoView({ block: "center" });
      noteField.focus();
      return;
    }
    var fix = G.geo.fix;
    var payload = { version: opened.kase.version, result: result, note: document.getElementById("task-note").value.trim() };
    if (fix) { payload.lon = fix.lon; payload.lat = fix.lat; }
    var form = new FormData();
    form.append("data", JSON.stringify(payload));
    photos.forEach(function (b, n) { form.append("photos", b, "photo-" + (n + 1) + ".jpg"); });
    document.getElementById("task-pass").disabled = true;
    document.getElementById("task-fail").disabled = true;
    G.api("/api/v1/cases/" + opened.kase.id + "/" + task.kind, { method: "POST", body: form }).then(function (r) {
      if (r.ok) { G.toast(G.t("m_task_done") + " · " + r.body.number); close(); return; }
      error.textContent = G.message(r);
      error.hidden = false;
      document.getElementById("task-pass").disabled = false;
      document.getElementById("task-fail").disabled = false;
    }).catch(function () {
      error.textContent = G.t("m_task_needs_signal");
      error.hidden = false;
      document.getElementById("task-pass").disabled = false;
      document.getElementById("task-fail").disabled = false;
    });
  }

  function close() {
    opened = null;
    if (map) { map.remove(); map = null; me = null; }
    document.getElementById("task-detail").hidden = true;
    document.getElementById("task-list").hidden = false;
    load();
  }

  G.on("start", function () {
    document.getElementById("tasks-refresh").addEventListener("click", load);
  });
  G.on("tab", function (name) {
    if (name === "tasks" && !opened) load();
    if (name === "tasks" && map) map.invalidateSize();
  });
  G.on("fix", function () { if (opened) { showDistance(); showMe(); } });
  G.tasks = { load: load };
})();

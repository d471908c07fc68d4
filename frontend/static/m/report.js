/* 上报: position (GPS fix, corrected by dragging on the map), category
   (search by name or pinyin initials, recent first), photos resized on the
   phone, description, urgency. Submitting puts the report in the outbox; the
   answer (case number, grid, unit, likely duplicates) shows when it is sent. */
(function () {
  "use strict";
  var G = window.GCM;
  var MAX_EDGE = 2048;
  var RECENT_KEY = "gcm.recent-categories";
  var state = { category: null, kind: "", photos: [], captureFix: null, corrected: null, awaiting: null, location: null, component: null };
  var byCode = {};
  G.data.categories.forEach(function (c) { byCode[c.code] = c; });

  function name(c) { return G.data.lang === "zh" ? c.zh : c.en; }
  function major(c) { return G.data.lang === "zh" ? c.major_zh : c.major_en; }

  // ---- position
  function position() {
    var fix = state.captureFix || G.geo.fix;
    if (state.component) return { lon: state.component.lon, lat: state.component.lat, fix: fix };
    if (state.corrected) return { lon: state.corrected.lon, lat: state.corrected.lat, fix: fix };
    return fix ? { lon: fix.lon, lat: fix.lat, fix: fix } : null;
  }

  function showFix(fix) {
    var status = document.getElementById("gps-status");
    if (!fix) {
      status.textContent = G.geo.error ? G.t("m_gps_error") : G.t("m_gps_waiting");
      status.setAttribute("data-quality", "none");
      return;
    }
    status.textContent = G.t("m_gps_fix", { m: Math.round(fix.accuracy) });
    status.setAttribute("data-quality", fix.accuracy <= 30 ? "good" : "poor");
    if (!state.corrected) place();
  }

  var locateTimer = null;
  var lastLocated = null;
  // Which unit grid the report will go to (the server decides again on intake).
  function place() {
    var p = position();
    if (!p) return;
    G.emit("report-position", p);
    clearTimeout(locateTimer);
    locateTimer = setTimeout(function () {
      var line = document.getElementById("grid-line");
      if (!G.online()) { line.textContent = G.t("m_grid_offline"); return; }
      if (lastLocated && G.distance(lastLocated, p) < 5 && state.location) return;
      lastLocated = { lon: p.lon, lat: p.lat };
      G.api("/api/v1/geo/locate?lon=" + p.lon + "&lat=" + p.lat, { quiet: true }).then(function (r) {
        if (!r.ok) { line.textContent = G.message(r); state.location = null; return; }
        state.location = r.body;
        var parts = [G.t("m_grid_here", { code: r.body.unit_grid_code })];
        if (r.body.work_grid) parts.push(r.body.work_grid.name);
        parts.push(r.body.street.name + " " + r.body.community.name);
        line.textContent = parts.join(" · ");
        G.emit("report-grid", r.body);
      }).catch(function () { line.textContent = G.t("m_grid_offline"); });
    }, 300);
  }

  G.on("marker-moved", function (p) {
    var fix = state.captureFix || G.geo.fix;
    state.corrected = p;
    var note = fix ? G.t("m_corrected", { m: Math.round(G.distance(fix, p)) }) : "";
    if (note) document.getElementById("gps-status").textContent = note;
    document.getElementById("use-gps").hidden = !fix;
    place();
  });

  // ---- categories
  function recent() {
    try { return JSON.parse(localStorage.getItem(RECENT_KEY) || "[]").filter(function (c) { return byCode[c]; }); }
    catch (e) { return []; }
  }

  function rememberCategory(code) {
    var list = [code].concat(recent().filter(function (c) { return c !== code; }));
    localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, 8)));
  }

  function matches(c, query) {
    if (state.kind && c.kind !== state.kind) return false;
    if (!query) return true;
    var q = query.toLowerCase().replace(/\s+/g, "");
    return c.zh.indexOf(query) >= 0 || c.en.toLowerCase().indexOf(q) >= 0 || c.py.indexOf(q) === 0 ||
      c.py.indexOf(q) >= 0 || c.code.toLowerCase() === q || c.kw.indexOf(query) >= 0 ||
      c.major_zh.indexOf(query) >= 0;
  }

  function option(c) {
    return G.el("li", {}, [G.el("button", { type: "button", "data-code": c.code, onclick: function () { choose(c.code); } }, [
      name(c), G.el("span", { class: "sub", text: G.t(c.kind === "component" ? "kind_component" : "kind_event") + " · " + major(c) + " · " + c.code }),
    ])]);
  }

  function renderCategories() {
    var query = document.getElementById("category-search").value.trim();
    var list = document.getElementById("category-list");
    var items = [];
    var recents = recent().map(function (code) { return byCode[code]; }).filter(function (c) { return matches(c, query); });
    if (recents.length) {
      items.push(G.el("li", { class: "group", text: G.t("m_recent") }));
      recents.forEach(function (c) { items.push(option(c)); });
    }
    var shown = 0;
    G.data.categories.forEach(function (c) {
      if (shown >= 60 || recents.indexOf(c) >= 0 || !matches(c, query)) return;
      items.push(option(c));
      shown += 1;
    });
    if (!items.length) items.push(G.el("li", { class: "group", text: G.t("m_no_match") }));
    list.replaceChildren.apply(list, items);
  }

  function choose(code) {
    var c = byCode[code];
    state.category = code;
    document.getElementById("category-name").textContent = name(c) + " (" + c.code + ")";
    document.getElementById("category-chosen").hidden = false;
    document.getElementById("category-picker").hidden = true;
    var urgency = document.querySelector("input[name=urgency][value=" + c.urgency + "]");
    if (urgency) urgency.checked = true;
    G.emit("category", code);
  }

  function unchoose() {
    state.category = null;
    document.getElementById("category-chosen").hidden = true;
    document.getElementById("category-picker").hidden = false;
    renderCategories();
    document.getElementById("category-search").focus();
    G.emit("category", null);
  }

  // ---- photos: resized here so a phone on a weak link sends ~0.5 MB, not 5
  function resize(file) {
    var decode = window.createImageBitmap
      ? createImageBitmap(file, { imageOrientation: "from-image" })
      : Promise.reject(new Error("no createImageBitmap"));
    return decode.catch(function () {
      return new Promise(function (resolve, reject) {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = URL.createObjectURL(file);
      });
    }).then(function (image) {
      var w = image.width, h = image.height;
      var scale = Math.min(1, MAX_EDGE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    });
  }

  function renderPhotos() {
    var list = document.getElementById("photo-list");
    list.replaceChildren.apply(list, state.photos.map(function (blob, n) {
      return G.el("li", {}, [
        G.el("img", { src: URL.createObjectURL(blob), alt: G.t("m_photos") + " " + (n + 1) }),
        G.el("button", { type: "button", "aria-label": G.t("m_remove_photo") + " " + (n + 1), text: "×",
          onclick: function () { state.photos.splice(n, 1); renderPhotos(); } }),
      ]);
    }));
  }

  function addPhotos(files) {
    // The position at the moment of capture is the evidence (EXIF is often stripped).
    if (!state.captureFix && G.geo.fix) state.captureFix = Object.assign({}, G.geo.fix);
    return Promise.all(Array.prototype.map.call(files, resize)).then(function (blobs) {
      blobs.forEach(function (b) { if (b && state.photos.length < 9) state.photos.push(b); });
      renderPhotos();
    });
  }

  // ---- submit
  function showError(text) {
    var box = document.getElementById("report-error");
    box.textContent = text;
    box.hidden = !text;
  }

  function submit(event) {
    event.preventDefault();
    showError("");
    var p = position();
    if (!state.category) { showError(G.t("m_need_category")); return; }
    if (!p) { showError(G.t("m_need_position")); return; }
    var fix = p.fix;
    var payload = {
      category: state.category,
      lon: p.lon,
      lat: p.lat,
      raw_lon: fix ? fix.lon : null,
      raw_lat: fix ? fix.lat : null,
      accuracy_m: fix ? fix.accuracy : null,
      fix_time: fix ? fix.time : null,
      description: document.getElementById("description").value.trim(),
      urgency: document.querySelector("input[name=urgency]:checked").value,
      component_id: state.component ? state.component.id : null,
    };
    var patrol = G.patrol && G.patrol.running();
    if (patrol) payload.patrol_id = patrol.id;
    var c = byCode[state.category];
    var button = document.getElementById("report-submit");
    button.disabled = true;
    G.outbox.add("report", payload, { photos: state.photos.slice(), label: name(c) }).then(function (item) {
      rememberCategory(state.category);
      state.awaiting = item.id;
      reset();
      button.disabled = false;
      if (!G.online()) G.toast(G.t("m_queued"));
      G.emit("queued", item);
      G.outbox.flush().then(function () {
        if (state.awaiting === item.id && G.online()) G.toast(G.t("m_queued"));
      });
    }).catch(function (err) {
      button.disabled = false;
      showError(String(err));
    });
  }

  function reset() {
    state.photos = [];
    state.captureFix = null;
    state.corrected = null;
    state.component = null;
    document.getElementById("description").value = "";
    document.getElementById("use-gps").hidden = true;
    renderPhotos();
    unchoose();
    document.getElementById("category-search").value = "";
    renderCategories();
    showFix(G.geo.fix);
    G.emit("report-reset");
  }

  // ---- the answer
  function fact(label, value, testid) {
    return [G.el("dt", { text: label }), G.el("dd", { text: value, "data-testid": testid })];
  }

  function showReceipt(r) {
    var box = document.getElementById("receipt");
    var facts = [].concat(
      fact(G.t("m_case_number"), r.number, "receipt-number"),
      fact(G.t("m_unit_grid"), r.unit_grid.code, "receipt-unit-grid"),
      fact(G.t("m_work_grid"), r.work_grid ? r.work_grid.code + " " + r.work_grid.name : "-", "receipt-work-grid"),
      fact(G.t("m_street"), r.street.name + " · " + r.community.name, "receipt-street"),
      fact(G.t("m_responsible_unit"), r.responsible_unit ? r.responsible_unit.name : G.t("m_unit_unknown"), "receipt-unit")
    );
    var dups = r.duplicates.map(function (d) {
      var marked = r.same_as_ids.indexOf(d.id) >= 0;
      return G.el("li", { "data-case-id": d.id }, [
        G.el("span", { text: d.number + " · " + (G.data.lang === "zh" ? d.category.name_zh : d.category.name_en) + " · " + G.fmtTime(d.reported_at) }),
        marked ? G.el("strong", { text: G.t("m_same_done") }) : G.el("button", {
          type: "button", class: "button button-secondary", text: G.t("m_same"),
          onclick: function () { markSame(r, d); },
        }),
      ]);
    });
    G.fill(box, [
      G.el("h2", { text: G.t("m_sent") }),
      G.el("dl", { class: "facts" }, facts),
      dups.length ? G.el("h3", { text: G.t("m_duplicates") }) : null,
      dups.length ? G.el("ul", { class: "dups", "data-testid": "duplicates" }, dups) : null,
      G.el("button", { type: "button", class: "button button-big", text: G.t("m_new_report"), onclick: function () {
        box.hidden = true;
        document.getElementById("report-form").hidden = false;
        window.scrollTo(0, 0);
      } }),
    ]);
    document.getElementById("report-form").hidden = true;
    box.hidden = false;
    box.focus();
  }

  function markSame(receipt, dup) {
    G.api("/api/v1/reports/" + receipt.id + "/same-as", { method: "POST", json: { same_as: dup.id } }).then(function (r) {
      if (r.ok) { showReceipt(r.body); G.toast(G.t("m_same_done")); }
      else G.toast(G.message(r));
    }).catch(function () { G.toast(G.t("network_error")); });
  }

  G.on("sent", function (e) {
    if (e.item.kind !== "report" || e.item.id !== state.awaiting) return;
    state.awaiting = null;
    G.api("/api/v1/reports/" + e.body.id + "/receipt").then(function (r) {
      if (r.ok) showReceipt(r.body);
      else G.toast(G.t("m_sent") + " " + e.body.number);
    }).catch(function () { G.toast(G.t("m_sent") + " " + e.body.number); });
  });

  G.on("refused", function (e) {
    if (e.item.id === state.awaiting) { state.awaiting = null; G.toast(G.message(e)); G.show("outbox"); }
  });

  G.on("fix", showFix);
  G.on("start", function () {
    document.getElementById("category-search").addEventListener("input", renderCategories);
    document.querySelectorAll("#category-picker .seg button").forEach(function (b) {
      b.addEventListener("click", function () {
        state.kind = b.getAttribute("data-kind");
        document.querySelectorAll("#category-picker .seg button").forEach(function (x) {
          x.setAttribute("aria-pressed", String(x === b));
        });
        renderCategories();
      });
    });
    document.getElementById("category-change").addEventListener("click", unchoose);
    document.getElementById("photo-input").addEventListener("change", function (event) {
      addPhotos(event.target.files).then(function () { event.target.value = ""; });
    });
    document.getElementById("use-gps").addEventListener("click", function () {
      state.corrected = null;
      document.getElementById("use-gps").hidden = true;
      showFix(G.geo.fix);
      G.emit("report-reset");
    });
    document.getElementById("report-form").addEventListener("submit", submit);
    renderCategories();
    document.documentElement.setAttribute("data-ready", "report");
    if (window.performance && performance.mark) performance.mark("gcm-report-ready");
  });
  G.on("tab", function (name) { if (name === "report") G.loadLater().then(function () { G.emit("map-ready"); }); });

  G.resizePhoto = resize;
  G.report = { state: state, position: position, refreshPosition: place };
})();

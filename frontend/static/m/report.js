/* 上报: position (GPS fix, or a pin placed / dragged by hand on the map),
   category (search by name or pinyin initials, recent first), photos resized
   on the phone, description, urgency. The report in progress is a draft kept
   in IndexedDB (photos too) until it is queued in the outbox or discarded, so
   the back button, a reload or a killed page lose nothing. Submitting says
   发送中 until the server answers or the outbox keeps it. */
(function () {
  "use strict";
  var G = window.GCM;
  var MAX_EDGE = 2048;
  var RECENT_KEY = "gcm.recent-categories";
  var DRAFT_DB = "gridcity-m-draft";
  var SEND_WAIT_MS = 20000;  // after this, "in the outbox" (it goes on trying)
  var state = { category: null, kind: "", photos: [], captureFix: null, corrected: null, awaiting: null,
    location: null, component: null };
  var byCode = {};
  G.data.categories.forEach(function (c) { byCode[c.code] = c; });

  function name(c) { return G.data.lang === "zh" ? c.zh : c.en; }
  function major(c) { return G.data.lang === "zh" ? c.major_zh : c.major_en; }
  function $(id) { return document.getElementById(id); }

  // ---- the draft: one record in its own IndexedDB database
  var draftDb = null;
  function draftStore(mode, fn) {
    if (!draftDb) {
      draftDb = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DRAFT_DB, 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("draft"); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return draftDb.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("draft", mode);
        var req = fn(t.objectStore("draft"));
        t.oncomplete = function () { resolve(req.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  function draftEmpty() {
    return !state.category && !state.photos.length && !state.corrected && !state.component && !$("description").value.trim();
  }

  // data-draft="saved" / "none" once the latest change is in IndexedDB.
  var saveTimer = null, saves = 0, restoring = true;
  function saveDraft(later) {
    clearTimeout(saveTimer);
    saveTimer = null;
    if (restoring) return;
    var form = $("report-form");
    var n = ++saves;
    form.removeAttribute("data-draft");
    $("draft-discard").hidden = draftEmpty();
    if (later) { saveTimer = setTimeout(saveDraft, 250); return; }
    var record = draftEmpty() ? null : {
      category: state.category, description: $("description").value,
      urgency: document.querySelector("input[name=urgency]:checked").value,
      photos: state.photos.slice(), captureFix: state.captureFix, corrected: state.corrected, component: state.component,
    };
    draftStore("readwrite", function (s) { return record ? s.put(record, "report") : s.delete("report"); })
      .then(function () { if (n === saves) form.setAttribute("data-draft", record ? "saved" : "none"); })
      .catch(function () {});
  }

  function restoreDraft() {
    return draftStore("readonly", function (s) { return s.get("report"); }).then(function (d) {
      if (!d) return;
      if (d.category && byCode[d.category]) choose(d.category);
      $("description").value = d.description || "";
      var urgency = document.querySelector("input[name=urgency][value=" + d.urgency + "]");
      if (urgency) urgency.checked = true;
      state.photos = d.photos || [];
      state.captureFix = d.captureFix || null;
      state.corrected = d.corrected || null;
      state.component = d.component || null;
      renderPhotos();
      refreshPosition();
    }).catch(function () {}).then(function () {
      restoring = false;
      renderPhotos();
      saveDraft();
    });
  }

  // ---- position
  function position() {
    var fix = state.captureFix || G.geo.fix;
    if (state.component) return { lon: state.component.lon, lat: state.component.lat, fix: fix, byHand: false };
    if (state.corrected) return { lon: state.corrected.lon, lat: state.corrected.lat, fix: fix, byHand: true };
    return fix ? { lon: fix.lon, lat: fix.lat, fix: fix, byHand: false } : null;
  }

  function showStatus() {
    var status = $("gps-status");
    var fix = state.captureFix || G.geo.fix;
    var quality = "none", text;
    if (state.corrected && fix) { text = G.t("m_corrected", { m: Math.round(G.distance(fix, state.corrected)) }); quality = "hand"; }
    else if (state.corrected) { text = G.t("m_by_hand"); quality = "hand"; }
    else if (fix) { text = G.t("m_gps_fix", { m: Math.round(fix.accuracy) }); quality = fix.accuracy <= 30 ? "good" : "poor"; }
    else text = G.geo.error ? G.t("m_gps_error") : G.t("m_gps_waiting");
    status.textContent = text;
    status.setAttribute("data-quality", quality);
    $("use-gps").hidden = !(state.corrected && G.geo.fix);
  }

  // Recompute the position (a fix, a pin moved, a component chosen): status, pin, unit grid.
  function refreshPosition() {
    showStatus();
    var p = position();
    if (p) { fieldError("position", ""); place(p); }
  }

  var locateTimer = null;
  var lastLocated = null;
  // Which unit grid the report will go to (the server decides again on intake).
  function place(p) {
    G.emit("report-position", p);
    clearTimeout(locateTimer);
    locateTimer = setTimeout(function () {
      var line = $("grid-line");
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

  // The inspector placed or dragged the pin: the position is theirs, by hand.
  G.on("marker-moved", function (p) {
    state.corrected = { lon: p.lon, lat: p.lat };
    refreshPosition();
    saveDraft();
  });

  // ---- errors at their field (category, photos, position), cleared when fixed
  function fieldError(field, text) {
    var box = $(field + "-error");
    box.textContent = text;
    box.hidden = !text;
    return box;
  }

  function minPhotos() { return state.category ? byCode[state.category].min_photos || 0 : 0; }

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
    return G.el("li", {}, [G.el("button", { type: "button", "data-code": c.code, onclick: function () { choose(c.code); saveDraft(); } }, [
      name(c), G.el("span", { class: "sub", text: G.t(c.kind === "component" ? "kind_component" : "kind_event") + " · " + major(c) + " · " + c.code }),
    ])]);
  }

  function renderCategories() {
    var query = $("category-search").value.trim();
    var list = $("category-list");
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
    $("category-name").textContent = name(c) + " (" + c.code + ")";
    $("category-chosen").hidden = false;
    $("category-picker").hidden = true;
    var urgency = document.querySelector("input[name=urgency][value=" + c.urgency + "]");
    if (urgency) urgency.checked = true;
    fieldError("category", "");
    if (state.photos.length >= minPhotos()) fieldError("photo", "");
    G.emit("category", code);
  }

  function unchoose(quiet) {
    state.category = null;
    $("category-chosen").hidden = true;
    $("category-picker").hidden = false;
    renderCategories();
    if (quiet !== true) $("category-search").focus();
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
    var list = $("photo-list");
    list.replaceChildren.apply(list, state.photos.map(function (blob, n) {
      return G.el("li", {}, [
        G.el("img", { src: URL.createObjectURL(blob), alt: G.t("m_photos") + " " + (n + 1) }),
        G.el("button", { type: "button", "aria-label": G.t("m_remove_photo") + " " + (n + 1), text: "×",
          onclick: function () { state.photos.splice(n, 1); renderPhotos(); saveDraft(); } }),
      ]);
    }));
    list.setAttribute("data-count", String(state.photos.length));
  }

  function addPhotos(files) {
    // The position at the moment of capture is the evidence (EXIF is often stripped).
    if (!state.captureFix && G.geo.fix) state.captureFix = Object.assign({}, G.geo.fix);
    return Promise.all(Array.prototype.map.call(files, resize)).then(function (blobs) {
      blobs.forEach(function (b) { if (b && state.photos.length < 9) state.photos.push(b); });
      renderPhotos();
      if (state.photos.length >= minPhotos()) fieldError("photo", "");
      saveDraft();
    });
  }

  // ---- submit
  function showError(text) {
    var box = $("report-error");
    box.textContent = text;
    box.hidden = !text;
  }

  // The first missing piece, said at its field and scrolled into view.
  function check(p) {
    var need = minPhotos();
    var errors = [
      ["category", !state.category && G.t("m_need_category")],
      ["photo", state.photos.length < need && G.t("m_need_photos", { n: need })],
      ["position", !p && G.t("m_need_position")],
    ].filter(function (e) { fieldError(e[0], e[1] || ""); return e[1]; });
    if (!errors.length) return true;
    $(errors[0][0] + "-error").scrollIntoView({ block: "center" });
    return false;
  }

  function busy(on) {
    var button = $("report-submit");
    button.disabled = on;
    button.textContent = G.t(on ? "m_sending" : "m_submit");
    if (on) $("draft-discard").hidden = true;
    var form = $("report-form");
    form.setAttribute("aria-busy", String(on));
    form.inert = on;  // what is being sent is not edited meanwhile
  }

  function sendStatus(text) {
    var box = $("report-status");
    box.textContent = text;
    box.hidden = !text;
  }

  var sendTimer = null;
  // The report has left the form: sent (the receipt shows) or kept in the outbox.
  function settle(item, sent) {
    clearTimeout(sendTimer);
    if (state.awaiting !== item.id) return;
    state.awaiting = null;
    busy(false);
    reset();
    if (!sent) sendStatus(G.t("m_queued"));
  }

  function submit(event) {
    event.preventDefault();
    showError("");
    sendStatus("");
    if (state.awaiting) return;
    var p = position();
    if (!check(p)) return;
    var fix = p.fix;
    var payload = {
      category: state.category,
      lon: p.lon,
      lat: p.lat,
      raw_lon: fix ? fix.lon : null,
      raw_lat: fix ? fix.lat : null,
      accuracy_m: fix ? fix.accuracy : null,
      fix_time: fix ? fix.time : null,
      position_by_hand: p.byHand,
      component_id: state.component ? state.component.id : null,
      description: $("description").value.trim(),
      urgency: document.querySelector("input[name=urgency]:checked").value,
    };
    var patrol = G.patrol && G.patrol.running();
    if (patrol) payload.patrol_id = patrol.id;
    var c = byCode[state.category];
    busy(true);
    G.outbox.add("report", payload, { photos: state.photos.slice(), label: name(c) }).then(function (item) {
      rememberCategory(state.category);
      state.awaiting = item.id;
      // Queued: no longer a draft (the outbox has it, photos and all).
      clearTimeout(saveTimer);
      draftStore("readwrite", function (s) { return s.delete("report"); }).catch(function () {});
      G.emit("queued", item);
      if (!G.online()) { settle(item, false); return; }
      sendTimer = setTimeout(function () { settle(item, false); }, SEND_WAIT_MS);
      // Not sent by the end of this round (no signal, the server busy): it waits in the outbox.
      G.outbox.flush().then(function () { settle(item, false); });
    }).catch(function (err) {
      busy(false);
      showError(String(err));
    });
  }

  function reset() {
    state.photos = [];
    state.captureFix = null;
    state.corrected = null;
    state.component = null;
    $("description").value = "";
    renderPhotos();
    unchoose(true);
    $("category-search").value = "";
    renderCategories();
    ["category", "photo", "position"].forEach(function (f) { fieldError(f, ""); });
    showError("");
    G.emit("report-reset");
    refreshPosition();
    saveDraft();
  }

  // ---- the answer
  function fact(label, value, testid) {
    return [G.el("dt", { text: label }), G.el("dd", { text: value, "data-testid": testid })];
  }

  function showReceipt(r) {
    var box = $("receipt");
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
      G.el("h2", { text: G.t("m_sent_number", { number: r.number }) }),
      G.el("dl", { class: "facts" }, facts),
      dups.length ? G.el("h3", { text: G.t("m_duplicates") }) : null,
      dups.length ? G.el("ul", { class: "dups", "data-testid": "duplicates" }, dups) : null,
      G.el("button", { type: "button", class: "button button-big", text: G.t("m_new_report"), onclick: function () {
        box.hidden = true;
        $("report-form").hidden = false;
        window.scrollTo(0, 0);
      } }),
    ]);
    $("report-form").hidden = true;
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
    if (e.item.kind !== "report") return;
    // One that waited in the outbox has gone: said in passing.
    if (e.item.id !== state.awaiting) { G.toast(G.t("m_sent_number", { number: e.body.number })); return; }
    settle(e.item, true);
    G.api("/api/v1/reports/" + e.body.id + "/receipt").then(function (r) {
      if (r.ok) showReceipt(r.body);
      else G.toast(G.t("m_sent_number", { number: e.body.number }));
    }).catch(function () { G.toast(G.t("m_sent_number", { number: e.body.number })); });
  });

  G.on("refused", function (e) {
    if (e.item.id !== state.awaiting) return;
    settle(e.item, true);
    G.toast(G.message(e));
    G.show("outbox");
  });

  G.on("fix", function () { if (!state.corrected && !state.component) refreshPosition(); else showStatus(); });
  G.on("start", function () {
    $("category-search").addEventListener("input", renderCategories);
    document.querySelectorAll("#category-picker .seg button").forEach(function (b) {
      b.addEventListener("click", function () {
        state.kind = b.getAttribute("data-kind");
        document.querySelectorAll("#category-picker .seg button").forEach(function (x) {
          x.setAttribute("aria-pressed", String(x === b));
        });
        renderCategories();
      });
    });
    $("category-change").addEventListener("click", function () { unchoose(); saveDraft(); });
    $("photo-input").addEventListener("change", function (event) {
      addPhotos(event.target.files).then(function () { event.target.value = ""; });
    });
    $("description").addEventListener("input", function () { saveDraft(true); });
    document.querySelectorAll("input[name=urgency]").forEach(function (r) { r.addEventListener("change", function () { saveDraft(); }); });
    $("use-gps").addEventListener("click", function () {
      state.corrected = null;
      G.emit("report-reset");
      refreshPosition();
      saveDraft();
    });
    $("draft-discard").addEventListener("click", function () {
      if (window.confirm(G.t("m_discard_confirm"))) { reset(); sendStatus(""); window.scrollTo(0, 0); }
    });
    // A page being hidden may be killed next: the last keystrokes go to the draft now.
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden" && saveTimer) saveDraft(); });
    window.addEventListener("pagehide", function () { if (saveTimer) saveDraft(); });
    $("report-form").addEventListener("submit", submit);
    renderCategories();
    restoreDraft();
    document.documentElement.setAttribute("data-ready", "report");
    if (window.performance && performance.mark) performance.mark("gcm-report-ready");
  });
  G.on("tab", function (name) { if (name === "report") G.loadLater().then(function () { G.emit("map-ready"); }); });

  G.resizePhoto = resize;
  // For the component picker (components.js): after it sets or clears state.component.
  G.report = { state: state, position: position, refreshPosition: function () { refreshPosition(); saveDraft(); } };
})();

/* The outbox: every report, patrol breadcrumb and patrol stop goes into
   IndexedDB first and is sent from there, oldest first. An item is deleted
   only after the server answered 2xx; a report carries its client UUID as the
   Idempotency-Key, so a resend after a lost answer makes no second case.
   Sent on app start, on `online`, when the page becomes visible, every 30 s
   while something waits, and by the "send now" button. */
(function () {
  "use strict";
  var G = window.GCM;
  var DB_NAME = "gridcity-m";
  var STORE = "outbox";
  var SENT_KEY = "gcm.sent";
  var dbPromise = null;
  var flushing = null;
  var again = false;
  var hooks = { report: [] };
  var notBefore = 0; // a 503's Retry-After: no automatic send before this time
  var retryTimer = null;

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbPromise;
  }

  // Run fn(store) in one transaction; resolves with fn's request result once committed.
  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var req = fn(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(req ? req.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function remove(seqs) {
    return tx("readwrite", function (s) { seqs.forEach(function (seq) { s.delete(seq); }); return null; });
  }

  function add(kind, payload, extra) {
    var item = Object.assign({ id: G.uuid(), kind: kind, state: "queued", created: new Date().toISOString(),
      attempts: 0, error: null, payload: payload }, extra || {});
    return put(item).then(function (seq) { item.seq = seq; render(); return item; });
  }

  // ---- sending one step
  function sendReport(item) {
    var form = new FormData();
    form.append("data", JSON.stringify(item.payload));
    (item.photos || []).forEach(function (blob, n) { form.append("photos", blob, "photo-" + (n + 1) + ".jpg"); });
    return G.api("/api/v1/reports", { method: "POST", body: form, headers: { "Idempotency-Key": item.id } });
  }

  function sendCrumbs(items) {
    var points = items.map(function (i) { return i.payload.point; });
    return G.api("/api/v1/patrols/" + items[0].payload.patrol_id + "/points", { method: "POST", json: { points: points } });
  }

  function sendStop(item) {
    return G.api("/api/v1/patrols/" + item.payload.patrol_id + "/stop", { method: "POST", json: { points: [] } });
  }

  // The head of the queue and, for breadcrumbs, the run of them after it.
  function nextBatch(items) {
    var head = items.find(function (i) { return i.state !== "failed"; });
    if (!head) return null;
    if (head.kind !== "crumb") return [head];
    var start = items.indexOf(head);
    var batch = [];
    for (var n = start; n < items.length && batch.length < 500; n++) {
      var i = items[n];
      if (i.state === "failed") continue;
      if (i.kind !== "crumb" || i.payload.patrol_id !== head.payload.patrol_id) break;
      batch.push(i);
    }
    return batch;
  }

  function sendBatch(batch) {
    var head = batch[0];
    if (head.kind === "report") return sendReport(head);
    if (head.kind === "crumb") return sendCrumbs(batch);
    return sendStop(head);
  }

  // Returns "more" to go on, "stop" to wait for the next trigger.
  function step() {
    return all().then(function (items) {
      var batch = nextBatch(items);
      if (!batch) return "stop";
      batch.forEach(function (i) { i.state = "sending"; i.attempts += 1; });
      return Promise.all(batch.map(put)).then(render).then(function () {
        return sendBatch(batch);
      }).then(function (result) {
        if (result.ok) {
          return remove(batch.map(function (i) { return i.seq; })).then(function () {
            if (batch[0].kind === "report") rememberSent(batch[0], result.body);
            G.emit("sent", { item: batch[0], body: result.body, count: batch.length });
            return "more";
          });
        }
        if (result.status === 401 || result.status >= 500 || result.status === 0) {
          // A busy server (503) says when to come back: not before then.
          if (result.retryAfter) {
            notBefore = Date.now() + result.retryAfter * 1000;
            clearTimeout(retryTimer);
            retryTimer = setTimeout(flush, result.retryAfter * 1000);
          }
          batch.forEach(function (i) { i.state = "queued"; });
          return Promise.all(batch.map(put)).then(function () { return "stop"; });
        }
        // Refused (4xx): keep it, say why, and go on with the rest.
        batch.forEach(function (i) { i.state = "failed"; i.error = G.message(result); });
        return Promise.all(batch.map(put)).then(function () {
          G.emit("refused", { item: batch[0], body: result.body });
          return "more";
        });
      }, function () {
        batch.forEach(function (i) { i.state = "queued"; });
        return Promise.all(batch.map(put)).then(function () { return "stop"; });
      });
    });
  }

  function loop() {
    return step().then(function (next) { return next === "more" ? loop() : null; });
  }

  function flush(now) {
    if (!G.online()) { render(); return Promise.resolve(); }
    var wait = notBefore - Date.now();
    if (wait > 0 && now !== true) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, wait);
      return Promise.resolve();
    }
    if (flushing) { again = true; return flushing; }
    var run = function () {
      return navigator.locks
        ? navigator.locks.request("gridcity-outbox", loop)
        : loop();
    };
    flushing = run().catch(function () {}).then(function () {
      flushing = null;
      render();
      if (again) { again = false; return flush(); }
    });
    return flushing;
  }

  // An item left "sending" by a page that was closed mid-way goes again
  // (the Idempotency-Key makes that safe).
  function recover() {
    return all().then(function (items) {
      var stuck = items.filter(function (i) { return i.state === "sending"; });
      stuck.forEach(function (i) { i.state = "queued"; });
      return Promise.all(stuck.map(put));
    });
  }

  function retry(item) { item.state = "queued"; item.error = null; return put(item).then(flush); }
  function drop(item) { return remove([item.seq]).then(render); }

  function sentList() {
    try { return JSON.parse(localStorage.getItem(SENT_KEY) || "[]"); } catch (e) { return []; }
  }

  function rememberSent(item, body) {
    var list = sentList().filter(function (s) { return s.uuid !== item.id; });
    list.unshift({ uuid: item.id, case_id: body && body.id, number: body && body.number,
      label: item.label || "", at: new Date().toISOString() });
    localStorage.setItem(SENT_KEY, JSON.stringify(list.slice(0, 20)));
  }

  function label(item) {
    if (item.kind === "report") return G.t("m_item_report") + " · " + (item.label || "");
    if (item.kind === "stop") return G.t("m_item_stop");
    return G.t("m_item_crumbs", { n: 1 });
  }

  function render() {
    return all().then(function (items) {
      var list = document.getElementById("outbox-list");
      var shown = [];
      var crumbs = {};
      items.forEach(function (i) {
        if (i.kind === "crumb" && i.state !== "failed") {
          var key = i.payload.patrol_id;
          if (crumbs[key]) { crumbs[key].n += 1; return; }
          crumbs[key] = { item: i, n: 1 };
          shown.push(crumbs[key]);
        } else {
          shown.push({ item: i, n: 1 });
        }
      });
      list.replaceChildren.apply(list, shown.map(function (entry) {
        var i = entry.item;
        var text = i.kind === "crumb" ? G.t("m_item_crumbs", { n: entry.n }) : label(i);
        var buttons = i.state === "failed" ? [
          G.el("button", { type: "button", class: "button button-secondary", text: G.t("m_retry"),
            onclick: function () { retry(i); } }),
          G.el("button", { type: "button", class: "button button-danger", text: G.t("m_delete"),
            onclick: function () { if (window.confirm(G.t("m_delete_confirm"))) drop(i); } }),
        ] : [];
        return G.el("li", { "data-state": i.state, "data-kind": i.kind, "data-uuid": i.id }, [
          G.el("div", { class: "row" }, [
            G.el("span", { text: text }),
            G.el("span", { class: "state", text: G.t("m_state_" + i.state) }),
          ]),
          G.el("div", { class: "muted", text: G.fmtTime(i.created) + (i.photos && i.photos.length ? " · " + G.t("m_photos") + " " + i.photos.length : "") }),
          i.error ? G.el("p", { class: "err", text: i.error }) : null,
          buttons.length ? G.el("div", { class: "actions" }, buttons) : null,
        ]);
      }));
      document.getElementById("outbox-empty").hidden = items.length > 0;
      var badge = document.getElementById("outbox-badge");
      var waiting = items.filter(function (i) { return i.kind !== "crumb"; }).length;
      badge.hidden = waiting === 0;
      badge.textContent = String(waiting);
      document.body.setAttribute("data-outbox", String(items.length));
      var sent = document.getElementById("sent-list");
      sent.replaceChildren.apply(sent, sentList().map(function (s) {
        return G.el("li", { "data-case-id": s.case_id }, [
          G.el("strong", { text: s.number || "" }), " ", s.label, G.el("div", { class: "muted", text: G.fmtTime(s.at) }),
        ]);
      }));
      return items;
    });
  }

  G.on("start", function () {
    document.getElementById("send-now").addEventListener("click", function () {
      if (!G.online()) G.toast(G.t("m_offline"));
      flush(true); // the person asked: now, whatever Retry-After said
    });
    recover().then(flush);
    setInterval(function () { if (document.visibilityState === "visible") flush(); }, 30000);
  });
  G.on("online", flush);
  G.on("signed-in", flush);
  G.on("tab", function (name) { if (name === "outbox") render(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") flush();
  });

  G.outbox = { add: add, all: all, flush: flush, render: render, hooks: hooks };
})();

/* 我的上报: the reports this inspector sent, newest first, with their state in
   words, deadline and responsible unit; tapping one shows its history and
   photos (the case detail the reporter may read). Kept current by polling
   GET /api/v1/me/reports with its ETag every few seconds while the list is on
   screen: a 304 costs a few bytes, needs no Socket.IO client (~50 kB) on a
   slow link, and the reporter's own cases outside their work grids would not
   reach their live rooms anyway. Lives in the outbox's tab: what is waiting to
   leave the phone, then what became of what left. */
(function () {
  "use strict";
  var G = window.GCM;
  var POLL_MS = 5000;
  var PAGE = 20;
  var shown = PAGE;
  var etag = null;
  var byId = {};
  var timer = null;
  var opened = null;  // the case id whose detail is open

  function name(c) { return G.data.lang === "zh" ? c.name_zh : c.name_en; }
  function stateWord(state) { return G.t("d_state_" + state); }

  function stateTag(state) {
    return G.el("span", { class: "tag state-tag", "data-state": state, text: stateWord(state) });
  }

  function item(r) {
    return G.el("li", { "data-case-id": r.id, "data-state": r.state }, [G.el("button", { type: "button", onclick: function () { open(r.id); } }, [
      stateTag(r.state),
      G.el("strong", { text: r.number }), " ", name(r.category),
      r.description ? G.el("span", { class: "sub", text: r.description }) : null,
      G.el("span", { class: "task-meta" }, [
        G.el("span", { class: "mine-unit", text: r.unit ? r.unit.name : G.t("m_mine_no_unit") }),
        r.deadline_at
          ? G.el("span", { class: r.overdue ? "overdue" : "", text: (r.overdue ? G.t("m_overdue") + " · " : "") + G.t("m_mine_deadline", { time: G.fmtTime(r.deadline_at) }) })
          : G.el("span", { text: G.t("m_mine_reported", { time: G.fmtTime(r.reported_at) }) }),
      ]),
    ])]);
  }

  function render(page) {
    var list = document.getElementById("mine-list");
    if (!page.items.length) { list.replaceChildren(G.el("li", { class: "muted", text: G.t("m_mine_empty") })); }
    else list.replaceChildren.apply(list, page.items.map(item));
    document.getElementById("mine-more").hidden = page.items.length >= page.total;
  }

  // One look at the server; resolves true when something changed.
  function load() {
    if (!G.online()) return Promise.resolve(false);
    var headers = { Accept: "application/json", "Accept-Language": G.data.lang };
    if (etag) headers["If-None-Match"] = etag;
    return fetch("/api/v1/me/reports?limit=" + shown, { credentials: "same-origin", headers: headers }).then(function (resp) {
      if (resp.status === 304) return false;
      if (resp.status === 401) { stop(); G.askToSignIn(); return false; }
      if (!resp.ok) return false;
      etag = resp.headers.get("ETag");
      return resp.json().then(function (page) {
        var moved = page.items.filter(function (r) { var was = byId[r.id]; return was && was.state !== r.state; });
        byId = {};
        page.items.forEach(function (r) { byId[r.id] = r; });
        render(page);
        if (opened && byId[opened]) open(opened, true);
        if (moved.length && G.current() === "outbox") G.toast(G.t("m_mine_updated", { number: moved[0].number }));
        return true;
      });
    }).catch(function () { return false; });
  }

  // One chain of looks at a time: a newer poll() retires the older chain,
  // even one whose answer is still on its way.
  var chain = 0;
  function poll() {
    clearTimeout(timer);
    var mine = ++chain;
    if (G.current() !== "outbox" || document.hidden) { timer = null; return; }
    load().then(function () {
      if (mine === chain && G.current() === "outbox") timer = setTimeout(poll, POLL_MS);
    });
  }

  function stop() { chain++; clearTimeout(timer); timer = null; }

  // A case's photos under their stage: 上报照片 / 处置照片 / 核查照片 (tasks reuse it).
  function photoGroups(photos) {
    if (!photos.length) return [G.el("p", { class: "muted", text: G.t("m_no_photos") })];
    var stages = [];
    photos.forEach(function (p) { if (stages.indexOf(p.stage) < 0) stages.push(p.stage); });
    return stages.map(function (stage) {
      var label = G.t("m_photo_stage_" + stage);
      var mine = photos.filter(function (p) { return p.stage === stage; });
      return G.el("div", { class: "photo-group", "data-stage": stage }, [
        G.el("h4", { text: label }),
        G.el("div", { class: "case-photos" }, mine.map(function (p, n) {
          return G.el("a", { href: p.url, target: "_blank", rel: "noopener" }, [
            G.el("img", { src: p.thumbnail_url, alt: G.t("m_photo_open", { stage: label, n: n + 1 }), loading: "lazy" })]);
        })),
      ]);
    });
  }

  function historyLine(h) {
    var line = h.line || {};
    return G.el("li", {}, [
      G.el("span", { class: "when", text: G.fmtTime(h.at) }), " ",
      G.el("strong", { text: line.what || "" }),
      line.who ? G.el("span", { class: "sub", text: line.who + (line.unit ? " → " + line.unit : "") }) : null,
      line.why ? G.el("span", { class: "sub why", text: line.why }) : null,
    ]);
  }

  function open(id, quietly) {
    return G.api("/api/v1/cases/" + id, { quiet: !!quietly }).then(function (r) {
      if (!r.ok) { if (!quietly) G.toast(G.message(r)); return; }
      opened = id;
      var c = r.body;
      var detail = document.getElementById("mine-detail");
      G.fill(detail, [
        G.el("button", { type: "button", class: "button button-secondary", id: "mine-back", text: G.t("m_back"), onclick: close }),
        G.el("div", { class: "card", "data-case-id": c.id }, [
          G.el("h2", {}, [stateTag(c.state), c.number]),
          G.el("p", { text: name(c.category) + " · " + (c.unit_grid_code || "") }),
          c.description ? G.el("p", { text: c.description }) : null,
          G.el("dl", { class: "facts" }, [
            G.el("dt", { text: G.t("m_mine_state") }), G.el("dd", { id: "mine-state", text: stateWord(c.state) }),
            G.el("dt", { text: G.t("m_mine_unit") }), G.el("dd", { text: c.unit ? c.unit.name : G.t("m_mine_no_unit") }),
            c.deadline_at ? G.el("dt", { text: G.t("m_mine_deadline", { time: "" }).trim() }) : null,
            c.deadline_at ? G.el("dd", { class: c.overdue ? "overdue" : "", text: G.fmtTime(c.deadline_at) }) : null,
          ]),
          G.el("h3", { text: G.t("m_case_photos") }),
        ].concat(photoGroups(c.photos), [
          G.el("h3", { text: G.t("m_mine_history") }),
          G.el("ol", { class: "history", id: "mine-history" }, c.history.map(historyLine)),
        ])),
      ]);
      document.getElementById("mine").hidden = true;
      detail.hidden = false;
      if (!quietly) window.scrollTo(0, 0);
    }).catch(function () { if (!quietly) G.toast(G.t("network_error")); });
  }

  function close() {
    opened = null;
    document.getElementById("mine-detail").hidden = true;
    document.getElementById("mine").hidden = false;
  }

  G.on("start", function () {
    document.getElementById("mine-more").addEventListener("click", function () {
      shown = Math.min(shown + PAGE, 100);
      etag = null;
      load();
    });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  });
  G.on("tab", function (name) { if (name === "outbox") poll(); else stop(); });
  G.on("online", function () { if (G.current() === "outbox") poll(); });
  G.on("signed-in", function () { if (G.current() === "outbox") poll(); });
  // A report just left the phone: show it without waiting for the next look.
  G.on("sent", function (e) { if (e.item.kind === "report" && G.current() === "outbox") load(); });
  G.myReports = { load: load, photoGroups: photoGroups };
})();

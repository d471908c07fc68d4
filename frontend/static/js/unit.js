/* The unit portal: our unit's open cases with their deadlines, kept live
   (the server sends this page only our unit's events), the queues as filters,
   and the case drawer for accepting, reporting handled and asking for an
   extension, suspension or return. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts;
  var Live = window.GridCityLive;
  var categoryNames = {};
  data.categories.forEach(function (c) { categoryNames[c.code] = c.name; });

  var live = Live.create({
    texts: T,
    unitId: data.unit_id,
    refreshEvery: 120000, // see Live.refresh
    categoryName: function (code) { return categoryNames[code] || code; },
    onOpenCase: function (id) { drawer.open(id); },
  });
  var drawer = window.GridCityDrawer.create({ node: document.getElementById("drawer"), data: data, live: live });
  var list = document.getElementById("unit-cases");
  var banner = document.getElementById("escalated-banner"); // a supervisor's 督办 (only theirs has it)
  var empty = document.getElementById("unit-empty");
  var queueButtons = {};
  // The landing page's numbers open a queue: /unit/?queue=<key>.
  var asked = new URLSearchParams(window.location.search).get("queue");
  var selected = data.queues.some(function (q) { return q.key === asked; }) ? asked : null;
  document.querySelectorAll("[data-queue]").forEach(function (b) {
    var key = b.getAttribute("data-queue");
    queueButtons[key] = b;
    b.setAttribute("aria-pressed", String(key === selected));
    b.addEventListener("click", function () {
      selected = selected === key ? null : key;
      Object.keys(queueButtons).forEach(function (k) { queueButtons[k].setAttribute("aria-pressed", String(k === selected)); });
      render();
    });
  });

  if (banner) {
    banner.querySelector("[data-show-queue]").addEventListener("click", function () {
      if (selected !== "unit_escalated") queueButtons.unit_escalated.click();
    });
  }

  function queueOf(key) { return data.queues.filter(function (q) { return q.key === key; })[0]; }

  function card(c, now) {
    var li = document.createElement("li");
    li.className = "unit-case dl-" + Live.deadlineLevel(c);
    li.setAttribute("data-case-id", String(c.id));
    li.setAttribute("data-state", c.state);
    var head = document.createElement("div");
    head.className = "unit-case-head";
    var number = document.createElement("strong");
    number.textContent = c.number;
    var state = document.createElement("span");
    state.className = "badge badge-state";
    state.textContent = T["d_state_" + c.state] || c.state;
    head.appendChild(number);
    head.appendChild(state);
    if (c.urgency === "urgent") {
      var urgent = document.createElement("span");
      urgent.className = "badge badge-urgent";
      urgent.textContent = T.urgency_urgent;
      head.appendChild(urgent);
    }
    if (c.rework && (c.state === "dispatched" || c.state === "in_progress")) {
      var rework = document.createElement("span");
      rework.className = "badge badge-rework";
      rework.setAttribute("data-testid", "rework-badge");
      rework.textContent = T.d_rework + (c.rework > 1 ? " ×" + c.rework : "");
      head.appendChild(rework);
    }
    if (c.urge) {
      var urge = document.createElement("span");
      urge.className = "badge badge-urge";
      urge.setAttribute("data-testid", "urge-badge");
      urge.textContent = T.d_urge + " ×" + c.urge;
      head.appendChild(urge);
    }
    if (c.escalated) {
      var escalated = document.createElement("span");
      escalated.className = "badge badge-escalated";
      escalated.setAttribute("data-testid", "escalated-badge");
      escalated.textContent = T.d_escalated;
      head.appendChild(escalated);
    }
    if (c.request) {
      var req = document.createElement("span");
      req.className = "badge";
      req.textContent = T.d_pending_request;
      head.appendChild(req);
    }
    var what = document.createElement("p");
    what.className = "unit-case-what";
    what.textContent = categoryNames[c.category] || c.category;
    var when = document.createElement("p");
    when.className = "unit-case-deadline";
    when.setAttribute("data-testid", "time-left");
    when.textContent = c.deadline_at
      ? T.d_deadline + " " + Live.formatTime(c.deadline_at, data.lang) + " · " + Live.clockText(c.state, c.deadline_at, now, T)
      : T.d_deadline + " " + T.d_no_deadline;
    var open = document.createElement("button");
    open.type = "button";
    open.className = "button";
    open.textContent = T.d_open_case;
    open.setAttribute("aria-label", T.d_open_case + " " + c.number);
    open.addEventListener("click", function () { drawer.open(c.id); });
    li.appendChild(head);
    li.appendChild(what);
    li.appendChild(when);
    if (c.urge_note) {
      var message = document.createElement("p");
      message.className = "unit-case-urge";
      message.setAttribute("data-testid", "urge-note");
      message.textContent = T.d_urge_reason + "：" + c.urge_note;
      li.appendChild(message);
    }
    li.appendChild(open);
    return li;
  }

  function render() {
    var now = live.now();
    data.queues.forEach(function (q) {
      var n = 0;
      live.cases.forEach(function (c) { if (Live.inQueue(c, q)) n++; });
      var b = queueButtons[q.key];
      b.querySelector("[data-count]").textContent = String(n);
      b.setAttribute("data-count", String(n));
      b.classList.toggle("queue-empty", n === 0);
      if (banner && q.key === "unit_escalated") {
        banner.hidden = n === 0;
        banner.setAttribute("data-count", String(n));
        banner.querySelector("[data-banner-text]").textContent = Live.format(T.d_escalated_banner, { n: n });
      }
    });
    var q = selected ? queueOf(selected) : null;
    var items = [];
    live.cases.forEach(function (c) { if (!q || Live.inQueue(c, q)) items.push(c); });
    // Overdue first, then the soonest deadline, then the newest.
    items.sort(function (a, b) {
      return (b.overdue - a.overdue) || (a.deadline_at || Infinity) - (b.deadline_at || Infinity) || b.id - a.id;
    });
    list.textContent = "";
    items.forEach(function (c) { list.appendChild(card(c, now)); });
    empty.hidden = items.length > 0;
    list.setAttribute("data-count", String(items.length));
  }

  var pending = null;
  live.onChange(function () {
    if (pending) return;
    pending = setTimeout(function () { pending = null; render(); }, 50);
  });
  setInterval(render, 30000); // the time left moves on
  live.start();
  window.GridCityUnit = { live: live, drawer: drawer };
})();

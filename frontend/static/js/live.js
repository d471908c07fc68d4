/* The live case store shared by the dispatch map (/dispatch/) and the unit
   portal (/unit/).

   Order of things: the socket connects (the server checks the session cookie
   and joins the rooms of the user's role and scope); then the open cases are
   loaded over REST with the feed position `seq`; `case` events are applied on
   top (buffered until the load is done). A case is kept at its highest
   `version`, so an event seen twice, or older than what was loaded, changes
   nothing. After a reconnect, GET /api/v1/events?after=<seq> says which cases
   changed meanwhile and only those are fetched again: no page reload, no
   duplicates; the same when the server sends a `resync` notice (it had to
   drop events). New urgent cases and newly overdue ones raise an alert (a
   banner, and a WebAudio beep unless switched off; the switch is remembered). */
(function () {
  "use strict";
  var fetchJSON = window.GridCity.fetchJSON;
  var OPEN = ["reported", "verifying", "accepted", "filed", "dispatched", "in_progress", "handled", "checked", "suspended"];
  var ALERTS_KEY = "gridcity.alerts.sound";
  var EVENTS_PAGE = 1000;
  var IDS_PAGE = 200;
  var LOOKBACK = 100;

  function parseTime(value) {
    if (value === null || value === undefined || value === "") return null;
    return typeof value === "number" ? value * 1000 : Date.parse(value);
  }

  function format(template, params) {
    return String(template).replace(/\{(\w+)\}/g, function (_, key) {
      return params[key] === undefined ? "" : String(params[key]);
    });
  }

  /* ---- alerts: a banner list and a beep */
  function Alerts(texts, onOpen) {
    this.texts = texts;
    this.onOpen = onOpen;
    this.list = document.getElementById("alerts");
    this.toggle = document.getElementById("alerts-toggle");
    this.audio = null;
    this.beeps = 0;
    var self = this;
    var stored = null;
    try { stored = window.localStorage.getItem(ALERTS_KEY); } catch (e) { stored = null; }
    this.sound = stored !== "off";
    if (this.toggle) {
      this.toggle.checked = this.sound;
      this.toggle.addEventListener("change", function () {
        self.sound = self.toggle.checked;
        try { window.localStorage.setItem(ALERTS_KEY, self.sound ? "on" : "off"); } catch (e) { /* private mode */ }
        if (self.sound) self.unlock();
      });
    }
    // Browsers start audio only after a user gesture: the first click unlocks it.
    document.addEventListener("click", function () { if (self.sound) self.unlock(); }, { once: true });
  }

  Alerts.prototype.unlock = function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!this.audio) this.audio = new Ctx();
    if (this.audio.state === "suspended") this.audio.resume();
  };

  Alerts.prototype.beep = function () {
    if (!this.sound) return;
    this.unlock();
    if (!this.audio) return;
    var ctx = this.audio;
    var t = ctx.currentTime;
    [0, 0.25].forEach(function (offset) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, t + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.2);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(t + offset);
      osc.stop(t + offset + 0.22);
    });
    this.beeps += 1;
    document.body.setAttribute("data-beeps", String(this.beeps));
  };

  Alerts.prototype.raise = function (kind, c, text) {
    if (this.list) {
      var item = document.createElement("li");
      item.className = "alert alert-" + kind;
      item.setAttribute("data-alert", kind);
      item.setAttribute("data-case-id", String(c.id));
      var open = document.createElement("button");
      open.type = "button";
      open.className = "link-button alert-open";
      open.textContent = text;
      var self = this;
      open.addEventListener("click", function () { if (self.onOpen) self.onOpen(c.id); });
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "alert-dismiss";
      dismiss.textContent = this.texts.d_dismiss;
      dismiss.addEventListener("click", function () { item.remove(); });
      item.appendChild(open);
      item.appendChild(dismiss);
      this.list.insertBefore(item, this.list.firstChild);
      while (this.list.children.length > 5) this.list.lastChild.remove();
    }
    this.beep();
  };

  /* ---- the store */
  function Live(options) {
    this.options = options;
    this.texts = options.texts;
    this.unitId = options.unitId || null; // a unit handler keeps only their unit's cases
    this.cases = new Map();
    this.lastSeq = 0;
    this.loaded = false;
    this.loading = false;
    this.buffer = [];
    this.listeners = [];
    this.clockOffset = 0; // server time − local time, in ms
    this.statusNode = document.getElementById("live-status");
    this.alerts = new Alerts(options.texts, options.onOpenCase);
    this.resyncing = null;
    this.resyncAgain = false;
    this.droppedAt = null; // lastSeq when the socket dropped, until a resync has caught up
  }

  Live.prototype.onChange = function (listener) { this.listeners.push(listener); };

  Live.prototype.now = function () { return Date.now() + this.clockOffset; };

  Live.prototype._emit = function (changes, reason) {
    if (!changes.length && reason !== "load") return;
    document.body.setAttribute("data-cases", String(this.cases.size));
    document.body.setAttribute("data-seq", String(this.lastSeq));
    this.listeners.forEach(function (listener) { listener(changes, reason); });
  };

  Live.prototype._status = function (state) {
    document.body.setAttribute("data-live", state);
    if (!this.statusNode) return;
    this.statusNode.setAttribute("data-state", state);
    this.statusNode.textContent = this.texts["d_live_" + state];
  };

  Live.prototype._keeps = function (c) {
    if (OPEN.indexOf(c.state) < 0) return false;
    return this.unitId === null || c.unit_id === this.unitId;
  };

  // Put a case in the store if it is newer than what is there; returns the change or null.
  Live.prototype._upsert = function (c, alert) {
    var before = this.cases.get(c.id) || null;
    if (before && c.version <= before.version) return null;
    if (!this._keeps(c)) {
      if (!before) return null;
      this.cases.delete(c.id);
      return { id: c.id, before: before, after: null };
    }
    this.cases.set(c.id, c);
    if (alert && this.loaded) this._alertFor(before, c);
    return { id: c.id, before: before, after: c };
  };

  Live.prototype._alertFor = function (before, c) {
    var name = this.options.categoryName ? this.options.categoryName(c.category) : c.category;
    if (!before && c.urgency === "urgent") {
      this.alerts.raise("urgent", c, format(this.texts.d_alert_urgent, { number: c.number, category: name }));
    } else if (before && !before.overdue && c.overdue) {
      this.alerts.raise("overdue", c, format(this.texts.d_alert_overdue, { number: c.number }));
    }
    if (before && (c.urge || 0) > (before.urge || 0)) {
      this.alerts.raise("urge", c, format(this.texts.d_alert_urge, { number: c.number, n: c.urge, note: c.urge_note || "—" }));
    } else if (before && !before.escalated && c.escalated) {
      this.alerts.raise("escalate", c, format(this.texts.d_alert_escalate, { number: c.number }));
    }
  };

  Live.prototype._fromRow = function (fields, row) {
    var c = {};
    for (var i = 0; i < fields.length; i++) c[fields[i]] = row[i];
    c.reported_at = parseTime(c.reported_at);
    c.deadline_at = parseTime(c.deadline_at);
    if (c.last_urged_at !== undefined) c.last_urged_at = parseTime(c.last_urged_at);
    return c;
  };

  // A `case` event's payload as a store entry; what the payload lacks is kept.
  Live.prototype._fromEvent = function (payload) {
    var p = payload.case;
    var before = this.cases.get(p.id) || {};
    var request = before.request || null;
    if (payload.action === "request") request = before.request || "pending";
    if (payload.action === "decide" || payload.action === "handle") request = null;
    return {
      id: p.id,
      number: p.number,
      state: p.state,
      version: p.version,
      lon: p.lon,
      lat: p.lat,
      category: p.category,
      urgency: p.urgency,
      unit_id: p.unit_id,
      street_id: p.street_id,
      work_grid_id: p.work_grid_id,
      unit_grid_id: before.unit_grid_id !== undefined ? before.unit_grid_id : null,
      source: p.source,
      reported_at: before.reported_at || (payload.action === "report" ? this.now() : null),
      deadline_at: parseTime(p.deadline_at),
      warned: p.warned,
      overdue: p.overdue,
      request: request,
      rework: p.rework !== undefined ? p.rework : before.rework || 0,
      urge: p.urge !== undefined ? p.urge : before.urge || 0,
      escalated: p.escalated !== undefined ? p.escalated : Boolean(before.escalated),
      // The overdue risk comes with the map state only (scored apart): kept until the next load.
      risk: before.risk !== undefined ? before.risk : null,
      last_urged_at: payload.action === "urge" ? this.now() : before.last_urged_at || null,
      // 催办's message travels with its event only (the drawer's history keeps it).
      urge_note: payload.action === "urge" ? payload.note || "" : before.urge_note || "",
    };
  };

  Live.prototype._applyEvent = function (payload) {
    if (!payload || !payload.case) return;
    if (!this.loaded) {
      this.buffer.push(payload);
      return;
    }
    if (payload.seq > this.lastSeq) this.lastSeq = payload.seq;
    var c = this._fromEvent(payload);
    c.seenAfter = payload.seq;
    var change = this._upsert(c, true);
    this._emit(change ? [change] : [], "event");
  };

  Live.prototype.load = function () {
    var self = this;
    if (this.loaded || this.loading) return;
    this.loading = true;
    fetchJSON("/api/v1/dispatch/map").then(function (result) {
      self.loading = false;
      if (result.status === 401) { window.GridCity.redirectToLogin(); return; }
      if (!result.ok) { self._status("offline"); return; }
      var body = result.body;
      self.clockOffset = body.now * 1000 - Date.now();
      self.lastSeq = body.seq;
      var changes = [];
      body.cases.forEach(function (row) {
        var change = self._upsert(self._fromRow(body.fields, row), false);
        if (change) changes.push(change);
      });
      self.loaded = true;
      self._emit(changes, "load");
      var buffered = self.buffer;
      self.buffer = [];
      buffered.forEach(function (payload) { if (payload.seq > body.seq) self._applyEvent(payload); });
      document.body.setAttribute("data-loaded", "1");
      // Connected before the load: nothing can have been missed. Connected
      // after it (the fallback load): catch up now.
      if (self.socket && self.socket.connected && !self.connectedBeforeLoad) self.resync();
    }).catch(function () {
      self.loading = false;
      self._status("offline");
      setTimeout(function () { self.load(); }, 3000);
    });
  };

  // Fetch the events missed while disconnected, then the current rows of the cases they touched.
  Live.prototype.resync = function () {
    var self = this;
    if (!this.loaded) return Promise.resolve();
    if (this.resyncing) { this.resyncAgain = true; return this.resyncing; }
    var touched = new Set();
    var overdueEvents = new Set();

    function page(after) {
      return fetchJSON("/api/v1/events?after=" + after).then(function (result) {
        if (!result.ok) throw new Error("events " + result.status);
        var last = after;
        result.body.forEach(function (e) {
          touched.add(e.case_id);
          if (e.action === "overdue") overdueEvents.add(e.case_id);
          if (e.seq > last) last = e.seq;
        });
        if (result.body.length >= EVENTS_PAGE) return page(last);
        return last;
      });
    }

    function rows(ids) {
      var chunks = [];
      for (var i = 0; i < ids.length; i += IDS_PAGE) chunks.push(ids.slice(i, i + IDS_PAGE));
      return Promise.all(chunks.map(function (chunk) {
        return fetchJSON("/api/v1/dispatch/map?ids=" + chunk.join(",")).then(function (result) {
          if (!result.ok) throw new Error("map " + result.status);
          return result.body;
        });
      }));
    }

    // From where the feed was when the connection dropped: live events that
    // arrive once reconnected must not move the start past what was missed.
    // A little further back too: seq is the event's id, taken at insert, so
    // a transaction can commit a lower one after a higher one was seen. What
    // is re-read is skipped by its version.
    var start = this.droppedAt !== null ? Math.min(this.droppedAt, this.lastSeq) : this.lastSeq;
    var from = Math.max(0, start - LOOKBACK);
    this.droppedAt = null;
    this.resyncing = page(from).then(function (last) {
      var ids = Array.from(touched);
      return rows(ids).then(function (bodies) {
        var changes = [];
        var seen = new Set();
        bodies.forEach(function (body) {
          body.cases.forEach(function (row) {
            var c = self._fromRow(body.fields, row);
            seen.add(c.id);
            var change = self._upsert(c, true);
            if (change) changes.push(change);
          });
        });
        // Touched but no longer open (or no longer ours): gone from the map.
        ids.forEach(function (id) {
          if (seen.has(id) || !self.cases.has(id)) return;
          var before = self.cases.get(id);
          self.cases.delete(id);
          changes.push({ id: id, before: before, after: null });
        });
        if (last > self.lastSeq) self.lastSeq = last;
        self._emit(changes, "resync");
        document.body.setAttribute("data-resyncs", String(Number(document.body.getAttribute("data-resyncs") || 0) + 1));
      });
    }).catch(function () {
      if (self.droppedAt === null || start < self.droppedAt) self.droppedAt = start; // try again from there
      self._status("offline");
    }).finally(function () {
      self.resyncing = null;
      if (self.resyncAgain) { self.resyncAgain = false; self.resync(); }
    });
    return this.resyncing;
  };

  // Reload every open case and drop those no longer listed. The unit portal
  // does this now and then: a case taken from the unit (a return approved)
  // leaves the unit's scope, and with it the unit's live room and event feed.
  Live.prototype.refresh = function () {
    var self = this;
    if (!this.loaded) return Promise.resolve();
    var seq = this.lastSeq;
    return fetchJSON("/api/v1/dispatch/map").then(function (result) {
      if (!result.ok) return;
      var body = result.body;
      var changes = [];
      var listed = new Set();
      body.cases.forEach(function (row) {
        var c = self._fromRow(body.fields, row);
        listed.add(c.id);
        var change = self._upsert(c, true);
        if (change) changes.push(change);
      });
      // A case an event brought in after this answer was read is kept.
      self.cases.forEach(function (c, id) {
        if (!listed.has(id) && !(c.seenAfter > body.seq)) {
          self.cases.delete(id);
          changes.push({ id: id, before: c, after: null });
        }
      });
      if (body.seq > self.lastSeq && seq === self.lastSeq) self.lastSeq = body.seq;
      self._emit(changes, "refresh");
    });
  };

  Live.prototype.start = function () {
    var self = this;
    this._status("connecting");
    var socket = window.io({ reconnectionDelayMax: 5000 });
    this.socket = socket;
    socket.on("connect", function () {
      self._status("connected");
      if (self.loaded) {
        self.resync();
      } else if (!self.loading) {
        self.connectedBeforeLoad = true;
        self.load();
      }
    });
    socket.on("disconnect", function () {
      if (self.droppedAt === null) self.droppedAt = self.lastSeq;
      self._status("offline");
    });
    socket.on("connect_error", function () { self._status("offline"); });
    socket.on("case", function (payload) { self._applyEvent(payload); });
    // The server dropped events it could not pass on (a full publishing queue,
    // its message queue back after an outage): fetch them from the feed.
    socket.on("resync", function (notice) {
      var after = notice && typeof notice.after === "number" ? notice.after : null;
      if (after !== null) self.droppedAt = Math.min(after, self.droppedAt === null ? self.lastSeq : self.droppedAt);
      self.resync();
    });
    // Without a socket (a proxy that blocks it) the page still shows the cases.
    setTimeout(function () { if (!self.loaded && !self.loading) self.load(); }, 3000);
    if (this.options.refreshEvery) {
      setInterval(function () { if (socket.connected) self.refresh(); }, this.options.refreshEvery);
    }
    return this;
  };

  /* ---- helpers the pages share */
  function inQueue(c, queue) {
    if (queue.states.length && queue.states.indexOf(c.state) < 0) return false;
    if (queue.flag === "overdue") return Boolean(c.overdue);
    if (queue.flag === "request") return Boolean(c.request);
    if (queue.flag === "warned") return Boolean(c.warned) && !c.overdue;
    if (queue.flag === "urged") return (c.urge || 0) > 0 || Boolean(c.escalated);
    if (queue.flag === "escalated") return Boolean(c.escalated);
    return true;
  }

  function deadlineLevel(c) {
    if (c.overdue) return "overdue";
    if (c.warned) return "warned";
    return "normal";
  }

  // "3 h 20 min left" / "overdue by 2 h", or "" without a deadline.
  function timeLeft(deadlineMs, nowMs, texts) {
    if (!deadlineMs) return "";
    var diff = deadlineMs - nowMs;
    var minutes = Math.round(Math.abs(diff) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    var parts = [];
    if (days) parts.push(format(texts.d_days, { n: days }));
    if (hours) parts.push(format(texts.d_hours, { n: hours }));
    if (!days && (mins || !hours)) parts.push(format(texts.d_minutes, { n: mins }));
    var span = parts.join(" ");
    return format(diff >= 0 ? texts.d_time_left : texts.d_time_over, { t: span });
  }

  // The handling clock runs only while the unit has the case (states.CLOCK_RUNNING):
  // the time left then, else "clock stopped" (handled, checked, closed, suspended…).
  var CLOCK_RUNNING = ["dispatched", "in_progress"];
  function clockText(state, deadlineMs, nowMs, texts) {
    if (!deadlineMs) return "";
    return CLOCK_RUNNING.indexOf(state) >= 0 ? timeLeft(deadlineMs, nowMs, texts) : texts.d_clock_stopped;
  }

  // One date format on every page, as the server writes it (gridcity/web/formats.py):
  // 2026-09-30 14:05, in either language.
  function formatTime(ms) {
    if (!ms) return "";
    var d = new Date(ms);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  window.GridCityLive = {
    create: function (options) { return new Live(options); },
    inQueue: inQueue,
    deadlineLevel: deadlineLevel,
    timeLeft: timeLeft,
    clockText: clockText,
    formatTime: formatTime,
    format: format,
    parseTime: parseTime,
    OPEN: OPEN,
  };
})();

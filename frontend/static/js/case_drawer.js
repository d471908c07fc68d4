/* The case drawer of the dispatch map and the unit portal: photos before and
   after, a small map, the history, the unit, the deadline with the time left,
   and a form for each action the user's role may take now (the server's
   `allowed_actions`; the rules stay on the server). A 409 (someone changed
   the case meanwhile) says so and reloads the case. */
(function () {
  "use strict";
  var fetchJSON = window.GridCity.fetchJSON;
  var Live = window.GridCityLive;
  var BEFORE = ["report", "verify"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function Drawer(options) {
    this.node = options.node;
    this.data = options.data;
    this.T = options.data.texts;
    this.live = options.live;
    this.onClose = options.onClose;
    // Called with the case each time a different case is shown (the main map pans to it).
    this.onShow = options.onShow;
    this.caseId = null;
    this.current = null;
    this.miniMap = null;
    this.seq = 0;
    var shifted = Boolean(this.data.tile_url) && this.data.tile_datum === "gcj02";
    this.toDisplay = function (lon, lat) {
      var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
      return L.latLng(p[1], p[0]);
    };
    this.categoryNames = {};
    var self = this;
    (options.data.categories || []).forEach(function (c) { self.categoryNames[c.code] = c.name; });
    this.unitNames = {};
    (options.data.units || []).forEach(function (u) { self.unitNames[u.id] = u.name; });
    var closeButton = this.node.querySelector("[data-drawer-close]");
    if (closeButton) closeButton.addEventListener("click", function () { self.close(); });
    this.node.addEventListener("keydown", function (event) { if (event.key === "Escape") self.close(); });
    if (this.live) {
      // The open case changed elsewhere: show its new state (unless a form is being filled in).
      this.live.onChange(function (changes) {
        if (self.caseId === null) return;
        changes.forEach(function (change) {
          if (change.id !== self.caseId || !self.current) return;
          var version = change.after ? change.after.version : null;
          if (self.busy || (version !== null && version <= self.current.version)) return;
          self.load(self.caseId);
        });
      });
    }
  }

  Drawer.prototype.open = function (caseId) {
    this.node.hidden = false;
    document.body.classList.add("drawer-open");
    this.load(caseId, true);
  };

  Drawer.prototype.close = function () {
    this.node.hidden = true;
    this.caseId = null;
    this.current = null;
    this.shownId = null;
    document.body.classList.remove("drawer-open");
    if (this.onClose) this.onClose();
  };

  Drawer.prototype.load = function (caseId, focus) {
    var self = this;
    this.caseId = caseId;
    var seq = ++this.seq;
    var body = this.node.querySelector("[data-drawer-body]");
    if (!this.current || this.current.id !== caseId) {
      body.textContent = this.T.loading;
      this.node.querySelector("#drawer-title").textContent = this.T.loading;
    }
    return fetchJSON("/api/v1/dispatch/cases/" + caseId).then(function (result) {
      if (seq !== self.seq) return;
      if (result.status === 401) { window.GridCity.redirectToLogin(); return; }
      if (!result.ok) {
        body.textContent = (result.body && result.body.message) || self.T.load_error;
        return;
      }
      self.render(result.body);
      if (focus) self.node.querySelector("#drawer-title").focus();
    });
  };

  Drawer.prototype.message = function (text, kind) {
    var box = this.node.querySelector("[data-drawer-message]");
    box.textContent = text || "";
    box.className = "drawer-message" + (kind ? " drawer-message-" + kind : "");
    box.hidden = !text;
  };

  // 部件: its code (a real-world identifier), state and owner unit.
  Drawer.prototype.componentText = function (component) {
    var T = this.T;
    var parts = [component.code, T["d_component_state_" + component.state] || ""];
    if (component.owner) parts.push(T.d_component_owner + " " + component.owner.name);
    return parts.filter(Boolean).join(" · ");
  };

  Drawer.prototype.render = function (c) {
    var T = this.T;
    var lang = this.data.lang;
    this.current = c;
    this.node.setAttribute("data-case-id", String(c.id));
    this.node.setAttribute("data-version", String(c.version));
    this.node.setAttribute("data-state", c.state);
    this.node.querySelector("#drawer-title").textContent = Live.format(T.d_case, { number: c.number });
    var body = this.node.querySelector("[data-drawer-body]");
    body.textContent = "";

    var badges = el("p", { className: "drawer-badges" }, [
      el("span", { className: "badge badge-state", "data-testid": "drawer-state", text: T["d_state_" + c.state] || c.state }),
      c.urgency === "urgent" ? el("span", { className: "badge badge-urgent", text: T.urgency_urgent }) : null,
      c.overdue ? el("span", { className: "badge badge-overdue", text: T.d_legend_overdue })
        : c.warned ? el("span", { className: "badge badge-warned", text: T.d_legend_warned }) : null,
    ]);
    body.appendChild(badges);

    var now = this.live ? this.live.now() : Date.now();
    var deadline = Live.parseTime(c.deadline_at);
    var place = [c.street && c.street.name, c.work_grid && (c.work_grid.code + " " + c.work_grid.name), c.unit_grid_code]
      .filter(Boolean).join(" · ");
    var facts = [
      [T.d_category, (c.category.code + " " + (lang === "zh" ? c.category.name_zh : c.category.name_en))],
      [T.d_place, place],
      c.position_note ? [T.d_position, c.position_note] : null,
      [T.d_source, T["d_source_" + c.source] || c.source],
      [T.d_reported_at, Live.formatTime(Live.parseTime(c.reported_at), lang)],
      [T.d_unit, c.unit ? c.unit.name : T.d_no_unit],
      c.component ? [T.d_component, this.componentText(c.component)] : null,
      [T.d_deadline, deadline ? Live.formatTime(deadline, lang) + " (" + Live.clockText(c.state, deadline, now, T) + ")" : T.d_no_deadline],
      [T.d_description, c.description || "—"],
    ];
    var dl = el("dl", { className: "facts drawer-facts" });
    facts.filter(Boolean).forEach(function (pair) {
      dl.appendChild(el("dt", { text: pair[0] }));
      var dd = el("dd", { text: pair[1] });
      if (pair[0] === T.d_component) dd.setAttribute("data-testid", "drawer-component");
      dl.appendChild(dd);
    });

    // Evidence first: the photos by stage and by who took them, and where it is.
    body.appendChild(this.renderPhotos(c));
    var mapBox = el("div", { className: "drawer-map", id: "drawer-map", role: "img", "aria-label": T.d_position + " " + place });
    body.appendChild(el("h3", { text: T.d_position }));
    body.appendChild(mapBox);
    this.renderMap(mapBox, c);
    body.appendChild(dl);

    var risk = this.renderRisk(c);
    if (risk) body.appendChild(risk);

    if (c.pending_request) {
      var r = c.pending_request;
      var text = (T["d_req_" + r.kind] || r.kind) + "：" + r.reason;
      if (r.extra_amount) text += " · " + T.d_extra_amount + " " + r.extra_amount + " " + this.clockUnit(c);
      if (r.review_on) text += " · " + T.d_review_on + " " + Live.formatTime(Live.parseTime(r.review_on), lang);
      body.appendChild(el("div", { className: "drawer-request", "data-testid": "pending-request" }, [
        el("h3", { text: T.d_pending_request }), el("p", { text: text }),
      ]));
    }

    // 主动治理: the task's title and the cases it was raised from.
    if (c.proactive) body.appendChild(this.renderProactive(c.proactive, lang));

    var rework = this.renderRework(c);
    if (rework) body.appendChild(rework);
    var urged = this.renderUrge(c);
    if (urged) body.appendChild(urged);
    body.appendChild(this.renderActions(c));
    // The hotline's calls, reply and follow-up (js/hotline_drawer.js, on the centers' map).
    if (window.GridCityHotlineDrawer) window.GridCityHotlineDrawer.render(body, c, this);

    body.appendChild(el("h3", { text: T.d_history }));
    var timeline = el("ol", { className: "timeline", "data-testid": "history" });
    // Who did what, to whom and why (责任倒查), with the step's photos.
    c.history.forEach(function (e) {
      var l = e.line || { who: "", what: T["d_action_" + e.action] || "", unit: null, why: e.note };
      var text = Live.formatTime(Live.parseTime(e.at), lang) + " · " + l.who + " · " + l.what
        + (l.unit ? " → " + l.unit : "") + (l.why ? " — " + l.why : "");
      var item = el("li", { "data-action": e.action, "data-testid": "history-line" }, [el("span", { text: text })]);
      c.photos.filter(function (p) { return p.event_id === e.seq; }).forEach(function (p, i) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("a", { href: p.url, target: "_blank", rel: "noopener", className: "history-photo",
          text: Live.format(T.d_history_photo, { n: i + 1 }) }));
      });
      timeline.appendChild(item);
    });
    body.appendChild(timeline);
    var shown = this.shownId;
    this.shownId = c.id;
    if (shown !== c.id && this.onShow) this.onShow(c);
  };

  Drawer.prototype.renderProactive = function (p, lang) {
    var T = this.T;
    var list = el("ul", { "data-testid": "proactive-cases" });
    p.cases.forEach(function (b) {
      var category = lang === "zh" ? b.category.name_zh : b.category.name_en;
      list.appendChild(el("li", { text: [b.number, category, b.address].filter(Boolean).join(" · ") }));
    });
    return el("section", { className: "drawer-proactive", "data-testid": "proactive-section" }, [
      el("h3", { text: T.d_proactive_title }),
      el("p", { "data-testid": "proactive-title", text: p.title }),
      el("p", { className: "muted", text: Live.format(T["d_proactive_basis_" + p.kind], { n: p.case_count }) }),
      list,
    ]);
  };

  // 超期风险 and 派遣建议 (the centers only): the level, the main factors in
  // words, the rules' unit and, for a case returned before, the history's.
  Drawer.prototype.renderRisk = function (c) {
    var T = this.T;
    if (!c.risk && !c.risk_note && !c.suggestion) return null;
    var box = el("section", { className: "drawer-risk", "data-testid": "risk", "aria-labelledby": "drawer-risk-title" });
    box.appendChild(el("h3", { id: "drawer-risk-title", text: T.d_risk }));
    if (c.risk) {
      box.appendChild(el("p", {}, [
        el("span", { className: "badge risk-" + c.risk.level, "data-testid": "risk-level", text: c.risk.text }),
      ]));
      box.appendChild(el("p", { className: "muted", text: T.d_risk_factors }));
      var list = el("ul", { className: "risk-factors", "data-testid": "risk-factors" });
      (c.risk.factors.length ? c.risk.factors : [T.d_risk_no_factor]).forEach(function (f) {
        list.appendChild(el("li", { text: f }));
      });
      box.appendChild(list);
    } else if (c.risk_note) {
      box.appendChild(el("p", { className: "muted", "data-testid": "risk-note", text: c.risk_note }));
    }
    var s = c.suggestion;
    if (s && ["filed", "accepted"].indexOf(c.state) >= 0) {
      box.appendChild(el("h3", { text: T.d_suggestion }));
      var lines = [s.rules_unit ? Live.format(T.d_suggest_rules, { unit: s.rules_unit.name }) : T.d_suggest_no_rule];
      if (s.returned_before) {
        lines.push(s.history_unit
          ? Live.format(T.d_suggest_history, { unit: s.history_unit.name, number: s.history_case_number })
          : T.d_suggest_no_history);
      }
      var ul = el("ul", { className: "risk-suggestion", "data-testid": "suggestion" });
      lines.forEach(function (line) { ul.appendChild(el("li", { text: line })); });
      box.appendChild(ul);
    }
    return box;
  };

  // The unit an extension's amount is counted in, from the category's clock.
  Drawer.prototype.clockUnit = function (c) {
    var clock = c.extension_clock || c.handle_clock;
    return this.T["d_clock_unit_" + clock] || this.T.d_clock_unit_working_days;
  };

  // 立案标准 / 结案标准 beside the decision: what the person deciding checks against.
  Drawer.prototype.renderStandards = function (c) {
    var T = this.T;
    var s = c.standards || {};
    if (!s.filing && !s.closing) return null;
    var dl = el("dl", { className: "facts drawer-standards", "data-testid": "standards" });
    [[T.d_filing_standard, s.filing], [T.d_closing_standard, s.closing]].forEach(function (pair) {
      if (!pair[1]) return;
      dl.appendChild(el("dt", { text: pair[0] }));
      dl.appendChild(el("dd", { text: pair[1] }));
    });
    return dl;
  };

  // 返工: a case sent back by a failed check (or the shift leader's 不予结案)
  // shows why, by whom and the inspector's photos, above the actions.
  Drawer.prototype.renderRework = function (c) {
    var T = this.T;
    if (!c.counts || !c.counts.rework || ["dispatched", "in_progress"].indexOf(c.state) < 0) return null;
    var last = null;
    c.history.forEach(function (e) {
      if ((e.action === "check" && e.data && e.data.result === "fail") || e.action === "rework") last = e;
    });
    if (!last) return null;
    var roles = this.data.role_names || {};
    var box = el("div", { className: "drawer-rework", "data-testid": "rework" }, [
      el("h3", { text: Live.format(T.d_rework_title, { n: c.counts.rework }) }),
      el("p", { "data-testid": "rework-reason", text: T.d_rework_reason + "：" + (last.note || "—") }),
      el("p", { className: "muted", text: Live.formatTime(Live.parseTime(last.at), this.data.lang)
        + (last.line ? " · " + last.line.who : roles[last.actor_role] ? " · " + roles[last.actor_role] : "") }),
    ]);
    var photos = c.photos.filter(function (p) { return p.event_id === last.seq; });
    if (photos.length) box.appendChild(this.photoRow(photos, "rework", T.d_rework_photos));
    return box;
  };

  // 催办 / 督办: how often the unit was urged, the last message, by whom and
  // when; and whether the overdue case went to the unit's head.
  Drawer.prototype.renderUrge = function (c) {
    var T = this.T;
    var n = c.counts ? c.counts.urge || 0 : 0;
    if (!n && !c.escalated) return null;
    var box = el("div", { className: "drawer-urge", "data-testid": "urge" });
    if (n) {
      var last = null;
      c.history.forEach(function (e) { if (e.action === "urge") last = e; });
      box.appendChild(el("h3", { "data-testid": "urge-count", text: Live.format(T.d_urge_box, { n: n }) }));
      if (last) {
        box.appendChild(el("p", { "data-testid": "urge-reason", text: T.d_urge_reason + "：" + (last.note || "—") }));
        box.appendChild(el("p", { className: "muted", text: T.d_urge_last + " " + Live.formatTime(Live.parseTime(last.at), this.data.lang)
          + (last.line ? " · " + last.line.who : "") }));
      }
    }
    if (c.escalated) box.appendChild(el("p", { "data-testid": "escalated", text: T.d_escalated_box }));
    return box;
  };

  Drawer.prototype.renderPhotos = function (c) {
    var T = this.T;
    this.photoCaptions = this.captionPhotos(c);
    var box = el("div", { className: "drawer-photos" });
    [["before", T.d_photos_before], ["after", T.d_photos_after]].forEach(function (group) {
      var photos = c.photos.filter(function (p) { return (BEFORE.indexOf(p.stage) >= 0) === (group[0] === "before"); });
      box.appendChild(el("h3", { text: group[1] }));
      if (!photos.length) {
        box.appendChild(el("p", { className: "muted", text: T.d_no_photos }));
        return;
      }
      box.appendChild(this.photoRow(photos, group[0], group[1]));
    }, this);
    return box;
  };

  // Each photo's stage in words (上报 / 核实 / 处置 / 核查, 返工 when it came
  // with the handling after a rework or with the failed check) and who took it
  // (the name and role of its history step).
  Drawer.prototype.captionPhotos = function (c) {
    var T = this.T;
    var bySeq = {};
    var reworked = false;
    var stageOf = {};
    c.history.forEach(function (e) {
      bySeq[e.seq] = e;
      if (e.action === "rework" || (e.action === "check" && e.data && e.data.result === "fail")) {
        stageOf[e.seq] = e.action === "check" ? T.d_photo_stage_check_fail : T.d_photo_stage_rework;
        reworked = true;
      } else if (e.action === "handle" && reworked) {
        stageOf[e.seq] = T.d_photo_stage_rework_handle;
      }
    });
    var captions = {};
    c.photos.forEach(function (p) {
      var e = p.event_id !== null && p.event_id !== undefined ? bySeq[p.event_id] : null;
      var stage = (e && stageOf[e.seq]) || T["d_photo_stage_" + p.stage] || T.d_photo_stage_report;
      captions[p.id] = { stage: stage, who: e && e.line ? e.line.who : "" };
    });
    return captions;
  };

  // Thumbnails linking to the full photos, each captioned with its stage and who took it.
  Drawer.prototype.photoRow = function (photos, key, stage) {
    var T = this.T;
    var captions = this.photoCaptions || {};
    var row = el("div", { className: "photo-row", "data-photos": key });
    photos.forEach(function (p, i) {
      var caption = captions[p.id] || { stage: stage, who: "" };
      var img = el("img", {
        src: p.thumbnail_url, loading: "lazy", width: "96", height: "72",
        alt: Live.format(T.d_photo_alt, { stage: caption.stage, n: i + 1 }) + (caption.who ? " · " + caption.who : ""),
      });
      row.appendChild(el("figure", { className: "photo", "data-testid": "photo" }, [
        el("a", { href: p.url, target: "_blank", rel: "noopener" }, [img]),
        el("figcaption", {}, [
          el("span", { className: "photo-stage", "data-testid": "photo-stage", text: caption.stage }),
          caption.who ? el("span", { className: "photo-who", "data-testid": "photo-who", text: caption.who }) : null,
        ]),
      ]));
    });
    return row;
  };

  Drawer.prototype.renderMap = function (box, c) {
    if (this.miniMap) {
      this.miniMap.remove();
      this.miniMap = null;
    }
    var position = this.toDisplay(c.lon, c.lat);
    var map = L.map(box, { zoomControl: false, keyboard: false }).setView(position, 17);
    map.attributionControl.setPrefix(false);
    window.GridCityBasemap.add(map, this.data);
    // The unit grids around it, for a sense of where it is without a basemap.
    var grids = L.geoJSON(null, {
      coordsToLatLng: function (coords) { return this.toDisplay(coords[0], coords[1]); }.bind(this),
      style: function (feature) {
        var own = feature.properties.code === c.unit_grid_code;
        return { color: own ? "#17406b" : "#868e96", weight: own ? 2.5 : 1, fillOpacity: own ? 0.12 : 0 };
      },
      interactive: false,
    }).addTo(map);
    var d = 0.003;
    fetchJSON("/api/v1/geo/unit-grids?bbox=" + [c.lon - d, c.lat - d, c.lon + d, c.lat + d].join(",")).then(function (result) {
      if (result.ok && map === this.miniMap) grids.addData(result.body);
    }.bind(this));
    L.circleMarker(position, { radius: 8, color: "#c92a2a", weight: 3, fillColor: "#ffd43b", fillOpacity: 0.9 }).addTo(map);
    this.miniMap = map;
    // The drawer was hidden until now: let Leaflet measure it again.
    setTimeout(function () { map.invalidateSize(); }, 0);
  };

  /* ---- actions */
  Drawer.prototype.renderActions = function (c) {
    var T = this.T;
    var self = this;
    var section = el("section", { className: "drawer-actions", "aria-labelledby": "drawer-actions-title" });
    section.appendChild(el("h3", { id: "drawer-actions-title", text: T.d_actions }));
    var standards = this.renderStandards(c);
    if (standards) section.appendChild(standards);
    var usable = c.allowed_actions.filter(function (a) { return self.forms[a]; });
    if (!usable.length) {
      section.appendChild(el("p", { className: "muted", text: T.d_no_actions }));
      return section;
    }
    usable.forEach(function (action) {
      var form = el("form", { className: "action-form", "data-action-form": action });
      form.appendChild(el("h4", { text: T["d_action_" + action] || action }));
      self.forms[action].call(self, form, c);
      section.appendChild(form);
    });
    return section;
  };

  var fieldCount = 0;

  function field(form, label, control) {
    var id = "f" + (++fieldCount);
    control.id = id;
    form.appendChild(el("label", { for: id, text: label }));
    form.appendChild(control);
    return control;
  }

  function button(form, text, value) {
    var b = el("button", { type: "submit", className: "button", text: text });
    if (value !== undefined) b.value = value;
    form.appendChild(b);
    return b;
  }

  function noteField(form, T, name, required) {
    var input = el("input", { type: "text", name: name || "note", autocomplete: "off" });
    if (required) input.required = true;
    return field(form, name === "reason" ? T.d_reason : T.d_note, input);
  }

  Drawer.prototype.forms = {
    accept: function (form, c) {
      noteField(form, this.T);
      button(form, this.T.d_action_accept);
      this.submitWith(form, c, "accept", function (f) { return { note: f.note.value }; });
    },
    file: function (form, c) {
      noteField(form, this.T);
      button(form, this.T.d_action_file);
      this.submitWith(form, c, "file", function (f) { return { note: f.note.value }; });
    },
    close: function (form, c) {
      noteField(form, this.T);
      button(form, this.T.d_action_close);
      this.submitWith(form, c, "close", function (f) { return { note: f.note.value }; });
    },
    rework: function (form, c) {
      noteField(form, this.T, "reason", true);
      button(form, this.T.d_action_rework).className = "button button-danger";
      this.submitWith(form, c, "rework", function (f) { return { reason: f.reason.value }; });
    },
    resume: function (form, c) {
      noteField(form, this.T);
      button(form, this.T.d_action_resume);
      this.submitWith(form, c, "resume", function (f) { return { note: f.note.value }; });
    },
    urge: function (form, c) {
      var reason = el("input", { type: "text", name: "reason", autocomplete: "off", maxlength: "200", required: "required" });
      field(form, this.T.d_urge_reason, reason);
      button(form, this.T.d_action_urge);
      this.submitWith(form, c, "urge", function (f) { return { reason: f.reason.value }; });
    },
    unit_accept: function (form, c) {
      noteField(form, this.T);
      button(form, this.T.d_action_unit_accept);
      this.submitWith(form, c, "unit_accept", function (f) { return { note: f.note.value }; });
    },
    void: function (form, c) {
      noteField(form, this.T, "reason", true);
      button(form, this.T.d_action_void).className = "button button-danger";
      this.submitWith(form, c, "void", function (f) { return { reason: f.reason.value }; });
    },
    merge: function (form, c) {
      var T = this.T;
      var nearby = c.merge_candidates || [];
      var typed = el("input", { type: "text", name: "into_number", autocomplete: "off", inputmode: "numeric",
        maxlength: "20", placeholder: T.d_merge_number_example });
      if (nearby.length) {
        // The open cases of its category nearby, nearest first (the duplicate radius), by number.
        var into = el("select", { name: "into" });
        nearby.forEach(function (other) {
          var label = other.number + " · " + (T["d_state_" + other.state] || other.state) + " · " + other.distance_m + " m"
            + (other.description ? " · " + other.description : "");
          into.appendChild(el("option", { value: other.number, text: label }));
        });
        field(form, T.d_merge_nearby, into);
        field(form, T.d_merge_or_number, typed);
      } else {
        typed.required = true;
        field(form, T.d_merge_into, typed);
        form.appendChild(el("p", { className: "hint", text: T.d_merge_none_nearby }));
      }
      noteField(form, T);
      button(form, T.d_action_merge);
      this.submitWith(form, c, "merge", function (f) {
        var number = f.into_number.value.trim() || (f.into ? f.into.value : "");
        return { into_number: number, note: f.note.value };
      });
    },
    dispatch: function (form, c) {
      var T = this.T;
      var select = el("select", { name: "unit_id" });
      var routed = c.routed_unit ? c.routed_unit.id : null;
      (this.data.units || []).forEach(function (u) {
        var why = c.routed_by === "component_owner" ? T.d_by_component_owner : T.d_by_rules;
        var option = el("option", { value: String(u.id), text: u.name + (u.id === routed ? " " + why : "") });
        if (u.id === routed) option.selected = true;
        select.appendChild(option);
      });
      field(form, T.d_unit_picker, select);
      var reason = noteField(form, T, "reason");
      var hint = el("p", { className: "hint", text: T.d_reason_other_unit });
      form.appendChild(hint);
      function sync() {
        var other = routed === null || Number(select.value) !== routed;
        reason.required = other;
        hint.hidden = !other;
      }
      select.addEventListener("change", sync);
      sync();
      button(form, T.d_action_dispatch);
      this.submitWith(form, c, "dispatch", function (f) {
        return { unit_id: Number(f.unit_id.value), reason: f.reason.value };
      });
    },
    decide: function (form, c) {
      noteField(form, this.T);
      var approve = button(form, this.T.d_approve, "yes");
      var refuse = button(form, this.T.d_refuse, "no");
      refuse.className = "button button-secondary";
      approve.setAttribute("data-decide", "approve");
      refuse.setAttribute("data-decide", "refuse");
      this.submitWith(form, c, "decide", function (f, submitter) {
        return { approve: submitter && submitter.value === "yes", note: f.note.value };
      });
    },
    handle: function (form, c) {
      var T = this.T;
      noteField(form, T);
      var photos = el("input", { type: "file", name: "photos", accept: "image/jpeg,image/png,image/webp", multiple: "multiple", required: "required" });
      field(form, T.d_proof_photos, photos);
      button(form, T.d_action_handle);
      this.submitWith(form, c, "handle", function (f) { return { note: f.note.value }; }, function (f) {
        return Array.prototype.slice.call(f.photos.files);
      });
    },
    request: function (form, c) {
      var T = this.T;
      var kind = el("select", { name: "kind" });
      ["extension", "suspension", "return"].forEach(function (k) {
        kind.appendChild(el("option", { value: k, text: T["d_req_" + k] }));
      });
      field(form, T.d_request_kind, kind);
      noteField(form, T, "reason", true);
      var amount = el("input", { type: "number", name: "extra_amount", min: "0.5", step: "0.5" });
      var amountLabel = T.d_extra_amount + "（" + this.clockUnit(c) + "）";
      field(form, amountLabel, amount);
      var review = el("input", { type: "date", name: "review_on" });
      field(form, T.d_review_on, review);
      function sync() {
        amount.closest("form").querySelector("label[for=" + amount.id + "]").hidden = kind.value !== "extension";
        amount.hidden = kind.value !== "extension";
        amount.required = kind.value === "extension";
        review.closest("form").querySelector("label[for=" + review.id + "]").hidden = kind.value !== "suspension";
        review.hidden = kind.value !== "suspension";
        review.required = kind.value === "suspension";
      }
      kind.addEventListener("change", sync);
      sync();
      button(form, T.d_action_request);
      this.submitWith(form, c, "request", function (f) {
        var data = { kind: f.kind.value, reason: f.reason.value };
        if (f.kind.value === "extension") data.extra_amount = Number(f.extra_amount.value);
        if (f.kind.value === "suspension") data.review_on = f.review_on.value + "T00:00:00+08:00";
        return data;
      });
    },
  };

  Drawer.prototype.submitWith = function (form, c, action, fields, files) {
    var self = this;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = Object.assign({ version: c.version }, fields(form, event.submitter));
      var photos = files ? files(form) : [];
      var options = { method: "POST" };
      if (photos.length) {
        var body = new FormData();
        body.append("data", JSON.stringify(data));
        photos.forEach(function (file) { body.append("photos", file, file.name); });
        options.body = body;
      } else {
        options.json = data;
      }
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      self.message("");
      self.busy = true;
      fetchJSON("/api/v1/cases/" + c.id + "/" + action, options).then(function (result) {
        self.busy = false;
        buttons.forEach(function (b) { b.disabled = false; });
        if (result.status === 401) { window.GridCity.redirectToLogin(); return; }
        if (result.status === 409) {
          // Someone else moved the case on: say so, and show what it is now.
          var why = result.body && result.body.message ? result.body.message : "";
          self.load(c.id).then(function () { self.message(self.T.d_stale + (why ? " " + why : ""), "error"); });
          return;
        }
        if (!result.ok) {
          self.message((result.body && result.body.message) || self.T.load_error, "error");
          return;
        }
        // Our own step comes back as a live event too: it is not news.
        if (self.current && result.body.version > self.current.version) self.current.version = result.body.version;
        self.load(c.id).then(function () { self.message(self.T.d_done, "ok"); });
      }).catch(function () {
        self.busy = false;
        buttons.forEach(function (b) { b.disabled = false; });
        self.message(self.T.network_error, "error");
      });
    });
  };

  window.GridCityDrawer = { create: function (options) { return new Drawer(options); } };
})();

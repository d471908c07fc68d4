/* The case drawer's hotline section (dispatch map): the calls on the case
   (the caller whole for the roles that call back, masked for the others),
   the reply to the caller (回复) and, once the case is finished, the
   follow-up call (回访) with the caller's satisfaction. */
(function () {
  "use strict";
  var fetchJSON = window.GridCity.fetchJSON;

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

  var count = 0;
  function labelled(form, text, control) {
    control.id = "hl-d" + (++count);
    form.appendChild(el("label", { for: control.id, text: text }));
    form.appendChild(control);
    return control;
  }

  function post(drawer, c, path, body, form) {
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    drawer.message("");
    fetchJSON("/api/v1/hotline/cases/" + c.id + "/" + path, { method: "POST", json: body }).then(function (result) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (result.status === 401) { window.GridCity.redirectToLogin(); return; }
      if (!result.ok) { drawer.message((result.body && result.body.message) || drawer.T.load_error, "error"); return; }
      drawer.load(c.id).then(function () { drawer.message(drawer.T.hl_recorded, "ok"); });
    }).catch(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      drawer.message(drawer.T.network_error, "error");
    });
  }

  function render(body, c, drawer) {
    var T = drawer.T;
    var lang = drawer.data.lang;
    var section = el("section", { className: "drawer-hotline", "data-testid": "hotline-section", hidden: "hidden" });
    body.appendChild(section);
    fetchJSON("/api/v1/hotline/cases/" + c.id + "/calls").then(function (result) {
      if (!result.ok || !result.body.calls.length || drawer.caseId !== c.id) return;
      var info = result.body;
      section.hidden = false;
      section.appendChild(el("h3", { text: T.hl_calls_title }));
      var list = el("ul", { "data-testid": "hotline-calls" });
      info.calls.forEach(function (call) {
        var parts = [
          window.GridCityLive.formatTime(window.GridCityLive.parseTime(call.received_at), lang),
          lang === "zh" ? call.channel.name_zh : call.channel.name_en,
          call.ticket_number ? T.hl_ticket + " " + call.ticket_number : null,
          (call.caller_name || T.hl_anonymous) + (call.caller_phone ? " " + call.caller_phone : ""),
          call.callback_wanted ? T.hl_callback_yes : T.hl_callback_no,
          call.joined ? T.hl_joined_call : null,
        ].filter(Boolean);
        list.appendChild(el("li", { text: parts.join(" · ") }));
      });
      section.appendChild(list);
      if (info.can_reply) {
        var reply = el("form", { className: "action-form", "data-hotline-form": "reply" });
        reply.appendChild(el("h4", { text: T.hl_reply }));
        var text = labelled(reply, T.hl_reply_text, el("input", { type: "text", name: "text", required: "required", maxlength: "2000" }));
        reply.appendChild(el("button", { type: "submit", className: "button", text: T.hl_reply_submit }));
        reply.addEventListener("submit", function (event) {
          event.preventDefault();
          post(drawer, c, "reply", { text: text.value }, reply);
        });
        section.appendChild(reply);
      }
      if (info.can_follow_up) {
        var follow = el("form", { className: "action-form", "data-hotline-form": "follow-up" });
        follow.appendChild(el("h4", { text: T.hl_follow_up }));
        var level = el("select", { name: "satisfaction" });
        info.satisfaction_levels.forEach(function (s) { level.appendChild(el("option", { value: s, text: T["hl_sat_" + s] })); });
        labelled(follow, T.hl_satisfaction, level);
        var note = labelled(follow, T.hl_follow_up_note, el("input", { type: "text", name: "note", maxlength: "2000" }));
        follow.appendChild(el("button", { type: "submit", className: "button", text: T.hl_follow_up_submit }));
        follow.addEventListener("submit", function (event) {
          event.preventDefault();
          post(drawer, c, "follow-up", { satisfaction: level.value, note: note.value }, follow);
        });
        section.appendChild(follow);
      } else if (info.can_reply) {
        section.appendChild(el("p", { className: "hint", text: T.hl_follow_up_later }));
      }
    });
  }

  window.GridCityHotlineDrawer = { render: render };
})();

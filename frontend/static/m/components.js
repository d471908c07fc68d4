/* 部件: when the chosen category is a component class, its components near
   the position (from the inventory, nearest first) are listed under the
   category and drawn on the small map; choosing one sets the report's
   component and snaps its position to it (report.js keeps the GPS fix as the
   raw one and sends component_id). */
(function () {
  "use strict";
  var G = window.GCM;
  var RADIUS_M = 150;
  var MOVED_M = 20; // list again once the inspector walked this far
  var kindOf = {};
  G.data.categories.forEach(function (c) { kindOf[c.code] = c.kind; });
  var s = { code: null, items: [], chosen: null, at: null, asked: 0 };
  var box, status, list, layer = null;

  function build() {
    status = G.el("p", { id: "component-status", class: "hint", "aria-live": "polite" });
    list = G.el("ul", { id: "component-list", class: "choices", "aria-labelledby": "component-title" });
    box = G.el("div", { id: "component-picker", class: "components", hidden: true }, [
      G.el("p", { id: "component-title", class: "components-title", text: G.t("m_components_title") }), status, list,
    ]);
    var anchor = document.getElementById("category-chosen");
    anchor.parentNode.insertBefore(box, anchor.nextSibling);
  }

  function here() {
    var p = G.report.position();
    return p && !s.chosen ? { lon: p.lon, lat: p.lat } : s.at;
  }

  function load() {
    var p = here();
    var n = ++s.asked;
    if (!p) { say(G.t("m_components_need_position")); return; }
    if (!G.online()) { say(G.t("m_components_offline")); return; }
    s.at = p;
    say(G.t("m_components_loading"));
    var url = "/api/v1/components/near?category=" + encodeURIComponent(s.code) + "&lon=" + p.lon + "&lat=" + p.lat +
      "&radius_m=" + RADIUS_M;
    G.api(url, { quiet: true }).then(function (r) {
      if (n !== s.asked) return; // a newer question was asked meanwhile
      if (!r.ok) { say(G.message(r)); return; }
      s.items = r.body;
      render();
    }).catch(function () { if (n === s.asked) say(G.t("m_components_offline")); });
  }

  function say(text) {
    s.items = s.chosen ? [s.chosen] : [];
    render();
    status.textContent = text;
  }

  function describe(c) {
    var parts = [G.fmtDistance(c.distance_m), G.t("m_component_state_" + c.state)];
    if (c.owner) parts.push(G.t("m_component_owner", { name: c.owner.name }));
    return parts.join(" · ");
  }

  function render() {
    box.hidden = !s.code;
    status.textContent = s.chosen ? G.t("m_component_chosen", { code: s.chosen.code })
      : s.items.length ? "" : G.t("m_components_none", { m: RADIUS_M });
    var items = s.items.map(function (c) {
      var picked = s.chosen && s.chosen.id === c.id;
      return G.el("li", {}, [G.el("button", { type: "button", "data-component-id": c.id, "aria-pressed": String(!!picked),
        onclick: function () { choose(picked ? null : c); } }, [c.code, G.el("span", { class: "sub", text: describe(c) })])]);
    });
    if (s.chosen) {
      items.push(G.el("li", {}, [G.el("button", { type: "button", id: "component-none", text: G.t("m_component_none_chosen"),
        onclick: function () { choose(null); } })]));
    }
    list.replaceChildren.apply(list, items);
    draw();
  }

  function choose(c) {
    s.chosen = c;
    G.report.state.component = c ? { id: c.id, code: c.code, lon: c.lon, lat: c.lat } : null;
    if (G.report.refreshPosition) G.report.refreshPosition();
    render();
  }

  // The listed components on the small map; a tap on one chooses it.
  function draw() {
    var map = G.minimap && G.minimap.map;
    if (!map || !window.L) return;
    if (layer) map.removeLayer(layer);
    layer = L.layerGroup(s.items.map(function (c) {
      var picked = s.chosen && s.chosen.id === c.id;
      return L.circleMarker(G.minimap.toMap(c.lon, c.lat), {
        radius: picked ? 9 : 7, weight: 2, color: picked ? "#1b7f3a" : "#8a4b00", fillOpacity: picked ? 0.8 : 0.4,
        className: "component-marker",
      }).bindTooltip(c.code).on("click", function () { choose(c); });
    })).addTo(map);
    document.getElementById("minimap").setAttribute("data-components", String(s.items.length));
  }

  function clear() {
    s.code = null;
    s.at = null;
    s.asked += 1;
    if (s.chosen) choose(null);
    s.items = [];
    render();
  }

  G.on("category", function (code) {
    if (!code || kindOf[code] !== "component") { clear(); return; }
    if (code === s.code) return;
    clear();
    s.code = code;
    load();
  });
  G.on("report-position", function (p) {
    if (s.code && !s.chosen && (!s.at || G.distance(s.at, p) > MOVED_M)) load();
  });
  G.on("report-reset", clear);
  G.on("map-ready", draw);
  G.on("start", build);
})();

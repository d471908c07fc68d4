/* Find any case (/search/): the search box and its filters ask
   GET /api/v1/cases/search; the results are listed (number, category, state in
   words, place, unit, reported time, the caller's phone masked) and drawn on the
   map; a click opens the case in the drawer, closed and voided ones too. The
   query lives in the address (?q=…&state=…), so a search can be shared and the
   header's box on every staff page lands here. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts;
  var fetchJSON = window.GridCity.fetchJSON;
  var Live = window.GridCityLive;
  var map = window.GridCityMap.map;
  var PAGE = 50;
  var FIELDS = ["q", "state", "category", "street", "community", "work_grid", "unit_grid", "unit", "from", "to"];

  var form = document.getElementById("search-form");
  var list = document.getElementById("results");
  var summary = document.getElementById("search-summary");
  var message = document.getElementById("search-message");
  var moreButton = document.getElementById("search-more");
  var drawer = window.GridCityDrawer.create({ node: document.getElementById("drawer"), data: data, live: null });

  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";
  function toDisplay(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }

  var hits = L.featureGroup().addTo(map);
  var markers = new Map(); // case id → marker
  var shown = 0;
  var current = null; // the parameters of the search shown

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function stateName(state) { return T["d_state_" + state] || ""; }

  function params() {
    var out = new URLSearchParams();
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      var value = field ? String(field.value || "").trim() : "";
      if (value) out.set(name, value);
    });
    return out;
  }

  function fill(from) {
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (field && from.has(name)) field.value = from.get(name);
    });
    if (FIELDS.some(function (n) { return n !== "q" && from.has(n); })) form.querySelector("details").open = true;
  }

  function pick(id) {
    list.querySelectorAll("[data-case-id]").forEach(function (node) {
      node.setAttribute("aria-current", String(Number(node.getAttribute("data-case-id")) === id));
    });
    markers.forEach(function (marker, caseId) {
      var node = marker.getElement();
      if (node) node.classList.toggle("picked", caseId === id);
    });
    drawer.open(id);
  }

  function place(item) {
    return [item.street, item.community, item.address].filter(Boolean).join(" · ");
  }

  function row(item) {
    var li = el("li");
    var button = el("button", "result");
    button.type = "button";
    button.setAttribute("data-case-id", item.id);
    button.setAttribute("data-testid", "search-result");
    button.setAttribute("aria-label", Live.format(T.search_open, { number: item.number }));
    var head = el("span", "result-head");
    head.appendChild(el("span", "result-number", item.number));
    head.appendChild(el("span", "result-state st-" + item.state, stateName(item.state)));
    button.appendChild(head);
    button.appendChild(el("span", "result-line", item.category.name + (item.unit ? " · " + item.unit.name : "")));
    button.appendChild(el("br"));
    button.appendChild(el("span", "result-line", place(item)));
    button.appendChild(el("br"));
    var when = T.d_reported_at + " " + Live.formatTime(Live.parseTime(item.reported_at), data.lang);
    button.appendChild(el("span", "result-line", when + (item.phone ? " · " + T.search_phone + " " + item.phone : "")));
    button.addEventListener("click", function () { pick(item.id); });
    li.appendChild(button);
    return li;
  }

  function draw(items) {
    items.forEach(function (item) {
      var marker = L.marker(toDisplay(item.lon, item.lat), {
        icon: L.divIcon({ className: "gc-hit st-" + item.state, iconSize: [14, 14] }),
        title: item.number + " " + item.category.name + " · " + stateName(item.state),
        keyboard: true,
      });
      marker.on("click", function () { pick(item.id); });
      markers.set(item.id, marker);
      hits.addLayer(marker);
    });
    if (markers.size) map.fitBounds(hits.getBounds(), { padding: [40, 40], maxZoom: 17 });
  }

  function say(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  function load(query, offset) {
    var url = "/api/v1/cases/search?" + query.toString() + "&limit=" + PAGE + "&offset=" + offset;
    document.body.removeAttribute("data-searched");
    return fetchJSON(url).then(function (result) {
      if (result.status === 401) { window.GridCity.redirectToLogin(); return; }
      if (!result.ok) {
        say(result.body && result.body.message ? result.body.message : T.load_error);
        summary.textContent = "";
        return;
      }
      say("");
      var body = result.body;
      if (offset === 0) {
        list.textContent = "";
        hits.clearLayers();
        markers.clear();
        shown = 0;
      }
      body.items.forEach(function (item) { list.appendChild(row(item)); });
      draw(body.items);
      shown += body.items.length;
      if (!body.total) summary.textContent = T.search_none;
      else if (body.more) summary.textContent = Live.format(T.search_more_than, { n: body.total }) + " · " + Live.format(T.search_shown, { n: shown });
      else summary.textContent = Live.format(T.search_total, { n: body.total });
      moreButton.hidden = !(body.more || shown < body.total);
      document.body.setAttribute("data-searched", String(shown));
    }).catch(function () { say(T.network_error); });
  }

  function run() {
    current = params();
    if (!Array.from(current.keys()).length) {
      list.textContent = "";
      hits.clearLayers();
      markers.clear();
      moreButton.hidden = true;
      summary.textContent = T.search_hint;
      window.history.replaceState(null, "", window.location.pathname);
      return;
    }
    window.history.replaceState(null, "", "?" + current.toString());
    load(current, 0);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  form.addEventListener("reset", function () { window.setTimeout(run, 0); });
  moreButton.addEventListener("click", function () { if (current) load(current, shown); });

  fill(new URLSearchParams(window.location.search));
  document.body.setAttribute("data-loaded", "");
  if (Array.from(params().keys()).length) run();

  window.GridCitySearch = { drawer: drawer, markers: markers, map: map };
})();

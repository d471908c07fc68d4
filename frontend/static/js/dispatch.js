/* The dispatch center's live map: case markers (coloured by state and by
   deadline, clustered), a heat layer, filters, the work queues, grid and queue
   lists, and the case drawer. The streets / work grids / unit grids come from
   the home map (js/map.js); the cases from the live store (js/live.js). */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts;
  var Live = window.GridCityLive;
  var base = window.GridCityMap;
  var map = base.map;
  // Clustering needs a top zoom; without a basemap the map has none of its own.
  if (map.getMaxZoom() === Infinity) map.setMaxZoom(19);
  var LIST_MAX = 200;
  var STATE_GROUP = {
    reported: "new", verifying: "new", accepted: "new", filed: "filed", dispatched: "unit",
    in_progress: "unit", handled: "done", checked: "done", suspended: "suspended",
  };

  var shifted = Boolean(data.tile_url) && data.tile_datum === "gcj02";
  function toDisplay(lon, lat) {
    var p = shifted ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }

  var categoryNames = {};
  data.categories.forEach(function (c) { categoryNames[c.code] = c.name; });
  var unitNames = {};
  data.units.forEach(function (u) { unitNames[u.id] = u.name; });

  var live = Live.create({
    texts: T,
    categoryName: function (code) { return categoryNames[code] || code; },
    onOpenCase: function (id) { drawer.open(id); },
  });
  var drawer = window.GridCityDrawer.create({
    node: document.getElementById("drawer"), data: data, live: live, onShow: panTo,
  });

  // The case opened in the drawer comes into view on the main map (close enough to see its street).
  function panTo(c) {
    if (c.lon === null || c.lon === undefined) return;
    map.invalidateSize();
    map.setView(toDisplay(c.lon, c.lat), Math.max(map.getZoom(), 16));
  }

  /* ---- markers */
  var LEVELS = { normal: 0, warned: 1, overdue: 2 };
  var LEVEL_NAMES = ["normal", "warned", "overdue"];
  var icons = {};
  function iconFor(c) {
    var key = STATE_GROUP[c.state] + "|" + Live.deadlineLevel(c) + "|" + c.urgency;
    if (!icons[key]) {
      icons[key] = L.divIcon({
        className: "gc-case st-" + STATE_GROUP[c.state] + " dl-" + Live.deadlineLevel(c) + (c.urgency === "urgent" ? " urgent" : ""),
        iconSize: [16, 16],
        html: c.urgency === "urgent" ? "!" : "",
      });
    }
    return icons[key];
  }

  function titleOf(c) {
    return c.number + " " + (categoryNames[c.category] || c.category) + " · " + (T["d_state_" + c.state] || c.state)
      + (c.overdue ? " · " + T.d_legend_overdue : c.warned ? " · " + T.d_legend_warned : "");
  }

  var clusters = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 50,
    // The ring says the worst deadline inside; a red badge how many are overdue.
    iconCreateFunction: function (cluster) {
      var worst = 0;
      var overdue = 0;
      var children = cluster.getAllChildMarkers();
      for (var i = 0; i < children.length; i++) {
        var level = children[i].level || 0;
        if (level > worst) worst = level;
        if (level === 2) overdue++;
      }
      var count = cluster.getChildCount();
      var size = count < 100 ? 34 : count < 1000 ? 40 : 48;
      var badge = overdue
        ? '<span class="gc-cluster-od"><span class="visually-hidden">' + T.d_legend_overdue + " </span>" + overdue + "</span>"
        : "";
      return L.divIcon({
        html: '<span class="gc-cluster-n">' + count + "</span>" + badge,
        className: "marker-cluster gc-cluster gc-cluster-" + LEVEL_NAMES[worst],
        iconSize: [size, size],
      });
    },
  }).addTo(map);
  var heat = L.heatLayer([], { radius: 18, blur: 15, minOpacity: 0.35, maxZoom: 16 });
  var overlays = {};
  overlays[T.d_layer_cases] = clusters;
  overlays[T.d_layer_heat] = heat;
  L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);

  var markers = new Map(); // case id → marker
  function markerFor(c) {
    var marker = markers.get(c.id);
    if (!marker) {
      marker = L.marker(toDisplay(c.lon, c.lat), { icon: iconFor(c), title: titleOf(c), keyboard: true });
      marker.caseId = c.id;
      marker.on("click", function () { drawer.open(c.id); });
      markers.set(c.id, marker);
    } else {
      marker.setLatLng(toDisplay(c.lon, c.lat));
      marker.setIcon(iconFor(c));
      marker.options.title = titleOf(c);
      var node = marker.getElement();
      if (node) node.title = titleOf(c);
    }
    marker.level = LEVELS[Live.deadlineLevel(c)];
    return marker;
  }

  /* ---- filters */
  var form = document.getElementById("filters");
  var filter = {};
  function readFilter() {
    filter = {
      state: form.state.value,
      category: form.category.value,
      street: form.street.value ? Number(form.street.value) : null,
      unit: form.unit.value ? Number(form.unit.value) : null,
      source: form.source.value,
      overdue: form.overdue.checked,
    };
  }
  function passes(c) {
    return (!filter.state || c.state === filter.state)
      && (!filter.category || c.category === filter.category)
      && (filter.street === null || c.street_id === filter.street)
      && (filter.unit === null || c.unit_id === filter.unit)
      && (!filter.source || c.source === filter.source)
      && (!filter.overdue || c.overdue);
  }

  var shown = new Set();
  function redrawAll() {
    clusters.clearLayers();
    shown.clear();
    var layers = [];
    live.cases.forEach(function (c) {
      if (!passes(c)) return;
      layers.push(markerFor(c));
      shown.add(c.id);
    });
    clusters.addLayers(layers);
    afterChange();
  }

  function applyChanges(changes) {
    var refresh = [];
    changes.forEach(function (change) {
      var c = change.after;
      var marker = markers.get(change.id);
      if (!c) {
        if (marker && shown.has(change.id)) clusters.removeLayer(marker);
        shown.delete(change.id);
        markers.delete(change.id);
        return;
      }
      var wasShown = shown.has(c.id);
      marker = markerFor(c);
      if (passes(c)) {
        if (!wasShown) {
          clusters.addLayer(marker);
          shown.add(c.id);
        } else {
          refresh.push(marker);
        }
      } else if (wasShown) {
        clusters.removeLayer(marker);
        shown.delete(c.id);
      }
    });
    if (refresh.length) clusters.refreshClusters(refresh);
    afterChange();
  }

  /* ---- queues, counts, heat: recomputed at most every 100 ms */
  var pending = null;
  function afterChange() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      updateQueues();
      updateShown();
      updateHeat();
      if (listSource && listSource.kind === "queue") showQueue(listSource.key, false);
    }, 100);
  }

  var queueButtons = {};
  document.querySelectorAll("[data-queue]").forEach(function (b) { queueButtons[b.getAttribute("data-queue")] = b; });

  function updateQueues() {
    data.queues.forEach(function (q) {
      var n = 0;
      live.cases.forEach(function (c) { if (Live.inQueue(c, q)) n++; });
      var b = queueButtons[q.key];
      if (!b) return;
      b.querySelector("[data-count]").textContent = String(n);
      b.setAttribute("data-count", String(n));
      b.setAttribute("aria-label", T["d_queue_" + q.key] + " " + n);
      b.classList.toggle("queue-empty", n === 0);
    });
  }

  function updateShown() {
    document.getElementById("shown-count").textContent = Live.format(T.d_shown, { n: shown.size, total: live.cases.size });
    document.getElementById("map").setAttribute("data-cases", String(shown.size));
  }

  var heatTimer = null;
  function updateHeat() {
    if (!map.hasLayer(heat) || heatTimer) return;
    heatTimer = setTimeout(function () {
      heatTimer = null;
      var points = [];
      live.cases.forEach(function (c) { if (shown.has(c.id)) points.push(toDisplay(c.lon, c.lat)); });
      // Scaled to the number of cases, so a busy city is not one red blot.
      heat.setOptions({ max: Math.max(1, points.length / 400) });
      heat.setLatLngs(points);
    }, 300);
  }
  map.on("overlayadd", function (event) { if (event.layer === heat) updateHeat(); });

  /* ---- lists: a queue's cases (live, from the store) or a grid's (from the API) */
  var listBox = document.getElementById("case-list");
  var listTitle = document.getElementById("list-title");
  var listItems = listBox.querySelector("ul");
  var listSource = null;

  // 超期风险 as a labelled level: 风险高 62%.
  var riskLevels = data.risk_levels || { high: 50, medium: 20 };
  function riskText(c) {
    if (c.risk === null || c.risk === undefined) return "";
    var level = c.risk >= riskLevels.high ? "high" : c.risk >= riskLevels.medium ? "medium" : "low";
    return " · " + Live.format(T.d_risk_in_list, { level: T["d_risk_level_" + level], percent: c.risk });
  }

  function caseButton(c) {
    var now = live.now();
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link-button case-item dl-" + Live.deadlineLevel(c);
    b.setAttribute("data-case-id", String(c.id));
    var left = c.deadline_at ? " · " + Live.clockText(c.state, c.deadline_at, now, T) : "";
    // 催办 / 督办: which unit, how often urged and when last.
    var urged = (c.urge ? " · " + T.d_urge + " ×" + c.urge + (c.last_urged_at ? " " + Live.formatTime(c.last_urged_at) : "") : "")
      + (c.escalated ? " · " + T.d_escalated : "");
    var unit = urged && c.unit_id && unitNames[c.unit_id] ? " · " + unitNames[c.unit_id] : "";
    b.textContent = c.number + " " + (categoryNames[c.category] || c.category) + " · " + (T["d_state_" + c.state] || c.state) + left + unit + urged + riskText(c);
    if (c.risk !== null && c.risk !== undefined) b.setAttribute("data-risk", String(c.risk));
    if (drawer.caseId === c.id) b.setAttribute("aria-current", "true");
    b.addEventListener("click", function () {
      listItems.querySelectorAll("[aria-current]").forEach(function (x) { x.removeAttribute("aria-current"); });
      b.setAttribute("aria-current", "true");
      drawer.open(c.id);
    });
    return b;
  }

  // A queue's list opens right under the queue clicked (a grid's where the
  // panel keeps it); redrawn by live changes, it keeps its scroll position and
  // the case open in the drawer stays marked.
  var listHome = document.createElement("span");
  listHome.hidden = true;
  listBox.parentNode.insertBefore(listHome, listBox);
  var listSlot = document.createElement("li");
  listSlot.className = "queue-slot";

  function placeList(key) {
    var button = key ? queueButtons[key] : null;
    if (button) {
      var item = button.closest("li");
      if (item.nextSibling !== listSlot) item.parentNode.insertBefore(listSlot, item.nextSibling);
      if (listBox.parentNode !== listSlot) listSlot.appendChild(listBox);
    } else if (listBox.previousSibling !== listHome) {
      listHome.parentNode.insertBefore(listBox, listHome.nextSibling);
      if (listSlot.parentNode) listSlot.parentNode.removeChild(listSlot);
    }
  }

  function showList(title, items, source) {
    var same = listSource && source && listSource.kind === source.kind && listSource.key === source.key;
    var scrollTop = same ? listItems.scrollTop : 0;
    listSource = source;
    placeList(source && source.kind === "queue" ? source.key : null);
    listBox.hidden = false;
    listTitle.textContent = title;
    listItems.textContent = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = T.d_list_empty;
      listItems.appendChild(empty);
    }
    items.slice(0, LIST_MAX).forEach(function (c) {
      var li = document.createElement("li");
      li.appendChild(caseButton(c));
      listItems.appendChild(li);
    });
    if (items.length > LIST_MAX) {
      var more = document.createElement("li");
      more.className = "muted";
      more.textContent = Live.format(T.d_list_more, { n: LIST_MAX });
      listItems.appendChild(more);
    }
    listBox.setAttribute("data-count", String(items.length));
    listItems.scrollTop = scrollTop;
  }

  var sortBox = document.getElementById("list-sort");
  function riskOf(c) { return c.risk === null || c.risk === undefined ? -1 : c.risk; }
  sortBox.addEventListener("change", function () {
    if (listSource && listSource.kind === "queue") showQueue(listSource.key, false);
  });

  function showQueue(key, scroll) {
    var q = data.queues.filter(function (x) { return x.key === key; })[0];
    var items = [];
    live.cases.forEach(function (c) { if (Live.inQueue(c, q)) items.push(c); });
    // Soonest deadline first, then oldest report; or highest overdue risk
    // first (unscored cases last), then the same.
    var byRisk = sortBox.value === "risk";
    items.sort(function (a, b) {
      var risk = byRisk ? riskOf(b) - riskOf(a) : 0;
      return risk || (a.deadline_at || Infinity) - (b.deadline_at || Infinity) || (a.reported_at || 0) - (b.reported_at || 0);
    });
    Object.keys(queueButtons).forEach(function (k) { queueButtons[k].setAttribute("aria-pressed", String(k === key)); });
    showList(Live.format(T.d_list_queue, { name: T["d_queue_" + key] }), items, { kind: "queue", key: key });
    if (scroll) listBox.scrollIntoView({ block: "nearest" });
  }

  Object.keys(queueButtons).forEach(function (key) {
    queueButtons[key].setAttribute("aria-pressed", "false");
    queueButtons[key].addEventListener("click", function () { showQueue(key, true); });
  });

  function showGrid(kind, props) {
    var query = kind === "work_grid" ? "work_grid=" + props.id : "unit_grid=" + encodeURIComponent(props.code);
    window.GridCity.fetchJSON("/api/v1/cases?state=open&limit=" + LIST_MAX + "&sort=deadline_at&" + query).then(function (result) {
      if (!result.ok) return;
      var items = result.body.items.map(function (s) {
        return {
          id: s.id, number: s.number, state: s.state, category: s.category.code, overdue: s.overdue,
          warned: s.warned, deadline_at: Live.parseTime(s.deadline_at),
        };
      });
      showList(Live.format(T.d_list_grid, { code: props.code + (props.name ? " " + props.name : "") }), items, { kind: kind });
      listBox.setAttribute("data-grid", props.code);
    });
  }
  base.workGrids.on("click", function (event) { showGrid("work_grid", event.layer.feature.properties); });
  base.unitGrids.on("click", function (event) {
    L.DomEvent.stopPropagation(event);
    showGrid("unit_grid", event.layer.feature.properties);
  });

  form.addEventListener("change", function () { readFilter(); redrawAll(); });
  form.addEventListener("reset", function () { setTimeout(function () { readFilter(); redrawAll(); }, 0); });
  readFilter();

  // The landing page's numbers open a queue: /dispatch/?queue=<key>.
  var askedQueue = new URLSearchParams(window.location.search).get("queue");
  live.onChange(function (changes, reason) {
    if (reason === "load") {
      redrawAll();
      if (askedQueue && queueButtons[askedQueue]) showQueue(askedQueue, true);
      askedQueue = null;
    } else applyChanges(changes);
  });
  // Time left in an open list moves on.
  setInterval(function () { if (listSource && listSource.kind === "queue") showQueue(listSource.key, false); }, 60000);
  // The drawer takes its width from the map: let Leaflet measure again.
  if (window.ResizeObserver) new ResizeObserver(function () { map.invalidateSize(); }).observe(document.getElementById("map"));
  live.start();

  window.GridCityDispatch = { live: live, clusters: clusters, heat: heat, markers: markers, drawer: drawer, map: map };
})();

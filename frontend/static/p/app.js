/* The citizens' app (随手拍): report with photos and position, "is it one of
   these?" before saving, confirm the phone by a code, my reports.
   ES5 and XMLHttpRequest only, for WeChat's X5 and other in-app browsers. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var state = { category: null, position: null, byHand: false, accuracy: null, photos: [], metooPhoto: null,
    signedIn: data.signed_in, anonymous: false, pending: null, uuid: null };
  var map = null, marker = null;

  function $(id) { return document.getElementById(id); }
  function t(key) { return data.texts[key] || key; }
  function show(id, on) { if (on) $(id).removeAttribute("hidden"); else $(id).setAttribute("hidden", ""); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) { if (attrs.hasOwnProperty(k)) node.setAttribute(k, attrs[k]); }
    if (text !== undefined && text !== null) node.appendChild(document.createTextNode(text));
    return node;
  }
  function toast(text) {
    var box = $("toast"); box.textContent = text; show("toast", true);
    setTimeout(function () { show("toast", false); }, 4000);
  }
  function uuid() {
    var s = "";
    for (var i = 0; i < 32; i++) s += Math.floor(Math.random() * 16).toString(16);
    return s.slice(0, 8) + "-" + s.slice(8, 12) + "-4" + s.slice(13, 16) + "-a" + s.slice(17, 20) + "-" + s.slice(20);
  }

  // One call to our API: JSON or a FormData body; done(status, answer).
  function api(method, url, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept-Language", data.lang === "zh" ? "zh-CN" : "en");
    var payload = null;
    if (body instanceof FormData) payload = body;
    else if (body) { xhr.setRequestHeader("Content-Type", "application/json"); payload = JSON.stringify(body); }
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) return;
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (xhr.status === 0) answer = { message: t("pj_offline") };
      done(xhr.status, answer || {});
    };
    xhr.send(payload);
  }
  function problem(id, answer) {
    var box = $(id);
    box.textContent = (answer && answer.message) || t("pj_failed");
    show(id, true);
  }

  // ---------------------------------------------------------------- category
  function renderChoices() {
    var box = $("choices");
    data.categories.forEach(function (c) {
      var b = el("button", { type: "button", "aria-pressed": "false", "data-code": c.code }, c.label);
      b.addEventListener("click", function () {
        state.category = c.code;
        var all = box.querySelectorAll("button");
        for (var i = 0; i < all.length; i++) all[i].setAttribute("aria-pressed", all[i] === b ? "true" : "false");
        show("category-error", false);
      });
      box.appendChild(b);
    });
  }

  // ---------------------------------------------------------------- position
  function setPosition(lon, lat, byHand, accuracy) {
    state.position = { lon: lon, lat: lat };
    state.byHand = byHand;
    state.accuracy = accuracy;
    show("position-error", false);
    $("gps-status").textContent = byHand ? t("pj_pin_set") :
      t("pj_gps_ok").replace("{m}", Math.round(accuracy || 0));
    if (map) placeMarker();
  }
  function locate() {
    if (!navigator.geolocation) { $("gps-status").textContent = t("pj_gps_none"); return; }
    $("gps-status").textContent = t("pj_gps_waiting");
    navigator.geolocation.getCurrentPosition(function (p) {
      if (state.byHand) return;
      setPosition(p.coords.longitude, p.coords.latitude, false, p.coords.accuracy);
    }, function () {
      $("gps-status").textContent = t("pj_gps_none");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  var gcj = data.tile_url && data.tile_datum === "gcj02";
  function toMap(lon, lat) {
    var p = gcj ? window.GridCityDatum.wgs84ToGcj02(lon, lat) : [lon, lat];
    return [p[1], p[0]];
  }
  function fromMap(ll) {
    if (!gcj) return { lon: ll.lng, lat: ll.lat };
    var w = [ll.lng, ll.lat];
    for (var n = 0; n < 6; n++) {
      var g = window.GridCityDatum.wgs84ToGcj02(w[0], w[1]);
      w = [w[0] - (g[0] - ll.lng), w[1] - (g[1] - ll.lat)];
    }
    return { lon: w[0], lat: w[1] };
  }
  function placeMarker() {
    var ll = toMap(state.position.lon, state.position.lat);
    if (!marker) {
      marker = L.marker(ll, { draggable: true }).addTo(map);
      marker.on("dragend", function () { var p = fromMap(marker.getLatLng()); setPosition(p.lon, p.lat, true, null); });
    } else marker.setLatLng(ll);
    map.setView(ll, Math.max(map.getZoom(), 17));
  }
  function initMap() {
    if (map || !window.L) return;
    map = L.map("minimap", { zoomControl: true });
    map.attributionControl.setPrefix(false);
    var c = data.center || [114.26, 22.58];
    map.setView(toMap(c[0], c[1]), 14);
    if (window.GridCityBasemap) window.GridCityBasemap.add(map, data, { notePosition: "topright" });
    map.on("click", function (e) { var p = fromMap(e.latlng); setPosition(p.lon, p.lat, true, null); });
    if (state.position) placeMarker();
    $("minimap").setAttribute("data-ready", "1");
    if (window.performance && performance.mark) performance.mark("gcp-map-ready");
  }
  // The map library after the form is usable (a slow link must not wait for it).
  function loadLater() {
    var pending = 0;
    data.later.forEach(function (url) {
      if (/\.css$/.test(url)) {
        document.head.appendChild(el("link", { rel: "stylesheet", href: url }));
        return;
      }
      pending++;
      var s = el("script", { src: url });
      s.onload = function () { pending--; if (!pending) initMap(); };
      document.body.appendChild(s);
    });
  }

  // ---------------------------------------------------------------- photos
  function shrink(file, done) {
    // ~1600 px JPEG: a phone's 4 MB photo becomes a few hundred kB.
    if (!window.FileReader || !document.createElement("canvas").toBlob) { done(file); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) { done(blob || file); }, "image/jpeg", 0.85);
      };
      img.onerror = function () { done(file); };
      img.src = reader.result;
    };
    reader.readAsDataURL(file);
  }
  function renderPhotos() {
    var list = $("photo-list");
    list.innerHTML = "";
    state.photos.forEach(function (blob, i) {
      var li = el("li", {});
      var img = el("img", { alt: t("pj_photo") + " " + (i + 1) });
      img.src = URL.createObjectURL(blob);
      var remove = el("button", { type: "button", "aria-label": t("pj_remove_photo") }, "×");
      remove.addEventListener("click", function () { state.photos.splice(i, 1); renderPhotos(); });
      li.appendChild(img); li.appendChild(remove); list.appendChild(li);
    });
  }

  // ---------------------------------------------------------------- the flow
  function checkForm() {
    var ok = true;
    if (!state.category) { show("category-error", true); ok = false; }
    if (!state.position) { show("position-error", true); ok = false; }
    return ok;
  }
  function next(event) {
    event.preventDefault();
    show("report-error", false);
    if (!checkForm()) return;
    var q = "?category=" + encodeURIComponent(state.category) + "&lon=" + state.position.lon + "&lat=" + state.position.lat;
    api("GET", "/api/v1/public/nearby" + q, null, function (status, answer) {
      if (status !== 200) { problem("report-error", answer); return; }
      if (answer.length) showNearby(answer);
      else ask({ kind: "report" });
    });
  }
  function showNearby(cases) {
    var list = $("nearby-list");
    list.innerHTML = "";
    cases.forEach(function (c) {
      var li = el("li", { "data-testid": "nearby-case" });
      li.appendChild(el("strong", {}, c.kind + " · " + c.status));
      li.appendChild(el("div", { "class": "muted" },
        t("pj_nearby_line").replace("{m}", c.distance_m).replace("{date}", c.reported_on).replace("{n}", c.reports)));
      var b = el("button", { type: "button", "class": "button" }, t("pj_me_too"));
      b.addEventListener("click", function () { ask({ kind: "me_too", number: c.number }); });
      li.appendChild(b);
      list.appendChild(li);
    });
    show("report-form", false);
    show("nearby", true);
  }
  // Send now if the citizen may, else confirm the phone first.
  function ask(what) {
    state.pending = what;
    if (state.signedIn || state.anonymous) { send(); return; }
    show("report-form", false); show("nearby", false); show("phone", true);
    $("phone-input").focus();
  }
  function send() {
    var what = state.pending;
    var form = new FormData();
    var notify = $("notify") ? $("notify").checked : false;
    if (what.kind === "me_too") {
      form.append("data", JSON.stringify({ number: what.number, notify: notify }));
      if (state.metooPhoto) form.append("photos", state.metooPhoto, "photo.jpg");
    } else {
      state.uuid = state.uuid || uuid();
      form.append("data", JSON.stringify({
        category: state.category, lon: state.position.lon, lat: state.position.lat,
        description: $("description").value, position_by_hand: state.byHand, accuracy_m: state.accuracy,
        client_uuid: state.uuid, notify: notify
      }));
      state.photos.forEach(function (p, i) { form.append("photos", p, "photo" + i + ".jpg"); });
    }
    var url = what.kind === "me_too" ? "/api/v1/public/me-too" : "/api/v1/public/reports";
    api("POST", url, form, function (status, answer) {
      if (status === 200 || status === 201) { receipt(answer); return; }
      show("phone", false); show("nearby", false); show("report-form", true);
      problem("report-error", answer);
    });
  }
  function receipt(answer) {
    show("report-form", false); show("nearby", false); show("phone", false);
    $("receipt-number").textContent = answer.number;
    var link = $("receipt-link");
    link.href = answer.follow_url;
    link.textContent = location.protocol + "//" + location.host + answer.follow_url;
    show("receipt", true);
    loadMine();
  }
  function again() {
    state.category = null; state.position = null; state.byHand = false; state.photos = []; state.uuid = null;
    state.metooPhoto = null;
    $("report-form").reset();
    var all = $("choices").querySelectorAll("button");
    for (var i = 0; i < all.length; i++) all[i].setAttribute("aria-pressed", "false");
    renderPhotos();
    show("receipt", false); show("report-form", true);
    locate();
  }

  // ---------------------------------------------------------------- phone
  function sendCode() {
    show("phone-error", false);
    api("POST", "/api/v1/public/codes", { phone: $("phone-input").value }, function (status, answer) {
      if (status !== 200) { problem("phone-error", answer); return; }
      toast(t("pj_code_sent").replace("{m}", answer.minutes));
      $("code-input").focus();
    });
  }
  function confirmCode() {
    show("phone-error", false);
    api("POST", "/api/v1/public/session", { phone: $("phone-input").value, code: $("code-input").value },
      function (status, answer) {
        if (status !== 200) { problem("phone-error", answer); return; }
        state.signedIn = true;
        if (state.pending) send();
      });
  }

  // ---------------------------------------------------------------- mine
  function loadMine() {
    api("GET", "/api/v1/public/me", null, function (status, answer) {
      if (status !== 200) return;
      state.signedIn = answer.signed_in;
      $("mine-who").textContent = answer.signed_in ? t("pj_signed_in_as").replace("{phone}", answer.phone) : "";
      var list = $("mine-list");
      list.innerHTML = "";
      (answer.reports || []).forEach(function (r) {
        var li = el("li", { "data-testid": "my-report" });
        var a = el("a", { href: r.follow_url }, r.number + " · " + r.kind);
        li.appendChild(a);
        li.appendChild(el("div", { "class": "muted" }, r.reported_on + " · " + r.status + (r.me_too ? " · " + t("pj_me_too") : "")));
        list.appendChild(li);
      });
      show("mine-empty", !(answer.reports || []).length);
    });
  }

  function start() {
    renderChoices();
    $("report-form").addEventListener("submit", next);
    $("use-gps").addEventListener("click", function () { state.byHand = false; locate(); });
    $("photo-input").addEventListener("change", function (e) {
      var files = Array.prototype.slice.call(e.target.files || [], 0, 4 - state.photos.length);
      files.forEach(function (f) { shrink(f, function (b) { state.photos.push(b); renderPhotos(); }); });
      e.target.value = "";
    });
    $("metoo-photo").addEventListener("change", function (e) {
      var f = e.target.files && e.target.files[0];
      if (!f) return;
      $("metoo-photo-name").textContent = f.name;
      shrink(f, function (b) { state.metooPhoto = b; });
    });
    $("nearby-none").addEventListener("click", function () { ask({ kind: "report" }); });
    $("code-send").addEventListener("click", sendCode);
    $("code-confirm").addEventListener("click", confirmCode);
    if ($("anonymous")) $("anonymous").addEventListener("click", function () { state.anonymous = true; send(); });
    $("report-again").addEventListener("click", again);
    document.querySelector("[data-set-lang]").addEventListener("click", function (event) {
      var code = event.currentTarget.getAttribute("data-set-lang");
      document.cookie = "lang=" + encodeURIComponent(code) + "; path=/; max-age=31536000; SameSite=Lax";
      location.reload();
    });
    locate();
    loadMine();
    document.documentElement.setAttribute("data-ready", "report");
    if (window.performance && performance.mark) performance.mark("gcp-ready");
    setTimeout(loadLater, 0);
  }
  start();
})();

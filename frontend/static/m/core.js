/* GridCity inspectors' app: shared plumbing — texts, the API helper, tabs,
   the GPS watch, network state, the sign-in dialog. Plain browser JS. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var listeners = {};

  function t(key, params) {
    var text = data.texts[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  function on(name, fn) { (listeners[name] = listeners[name] || []).push(fn); }
  function emit(name, value) { (listeners[name] || []).forEach(function (fn) { fn(value); }); }

  // One element with attributes and children (strings become text: no HTML injection).
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    });
    return node;
  }

  // Replace a node's children, skipping the empty ones (null, undefined, false).
  function fill(node, children) {
    node.replaceChildren.apply(node, children.filter(function (c) { return c !== null && c !== undefined && c !== false; }));
    return node;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The session's CSRF token, sent (X-CSRFToken) with every state change at
  // the moment it is sent — the outbox never stores it, so a report queued
  // before a new sign-in goes with the new session's token. From the meta
  // tag, renewed by a sign-in answer, fetched again once when refused (the
  // page may come from the service worker's cache).
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.content : null;

  function refreshCsrfToken() {
    return fetch("/api/v1/csrf", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.json(); })
      .then(function (body) { csrfToken = body.csrf_token; });
  }

  // Our API: resolves {status, ok, body}; rejects only when the network fails.
  // A 401 opens the sign-in dialog (queued work stays where it is), except for
  // background look-ups ({quiet: true}) that nobody is waiting for.
  function api(url, options, retried) {
    var opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    var quiet = opts.quiet;
    delete opts.quiet;
    opts.headers = Object.assign({ Accept: "application/json", "Accept-Language": data.lang }, opts.headers);
    if (opts.json !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    if (!/^(GET|HEAD|OPTIONS)$/i.test(opts.method || "GET") && csrfToken) opts.headers["X-CSRFToken"] = csrfToken;
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (resp.status === 403 && body && body.error === "csrf_failed" && !retried) {
          return refreshCsrfToken().then(function () { return api(url, options, true); });
        }
        if (body && body.csrf_token) csrfToken = body.csrf_token; // a new session's
        if (resp.status === 401 && !quiet) askToSignIn();
        return { status: resp.status, ok: resp.ok, body: body, retryAfter: Number(resp.headers.get("Retry-After")) || 0 };
      });
    });
  }

  function message(result) {
    return (result && result.body && result.body.message) || t("network_error");
  }

  function online() { return navigator.onLine !== false; }

  var toastTimer = null;
  function toast(text) {
    var box = document.getElementById("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  // ---- tabs: each one a history entry, so the back button goes to the previous tab
  var current = null;
  function show(name, fromHistory) {
    if (!document.getElementById("tab-" + name)) name = "report";
    document.querySelectorAll(".tab").forEach(function (s) { s.hidden = s.id !== "tab-" + name; });
    document.querySelectorAll(".tabbar button").forEach(function (b) {
      if (b.getAttribute("data-tab") === name) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    });
    if (fromHistory !== true && location.hash !== "#" + name) {
      if (current === null) history.replaceState(null, "", "#" + name);
      else history.pushState(null, "", "#" + name);
    }
    current = name;
    emit("tab", name);
  }

  // ---- position: one watch for the whole app
  var geo = { fix: null, error: null };
  function startGeo() {
    if (!navigator.geolocation) { geo.error = "unsupported"; emit("fix", null); return; }
    navigator.geolocation.watchPosition(function (pos) {
      geo.fix = {
        lon: pos.coords.longitude,
        lat: pos.coords.latitude,
        accuracy: pos.coords.accuracy,
        time: new Date(pos.timestamp || Date.now()).toISOString(),
      };
      geo.error = null;
      emit("fix", geo.fix);
    }, function (err) {
      geo.error = err.message || "error";
      if (!geo.fix) emit("fix", null);
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  // Metres between two WGS-84 points (equirectangular: fine at street scale).
  function distance(a, b) {
    var x = (b.lon - a.lon) * Math.PI / 180 * Math.cos((a.lat + b.lat) / 2 * Math.PI / 180);
    var y = (b.lat - a.lat) * Math.PI / 180;
    return 6371008.8 * Math.sqrt(x * x + y * y);
  }

  function fmtDistance(m) {
    if (m === null || m === undefined) return "";
    return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(1) + " km";
  }

  function fmtTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    // 2026-09-30 14:05: the one date format of every page (gridcity/web/formats.py)
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // ---- network state
  function updateNet() {
    var pill = document.getElementById("net-status");
    pill.setAttribute("data-online", online() ? "1" : "0");
    pill.textContent = online() ? t("m_online") : t("m_offline");
  }

  // ---- sign-in again (the session expired; queued reports are in IndexedDB)
  function askToSignIn() {
    var dialog = document.getElementById("signin");
    if (dialog.open) return;
    document.getElementById("signin-error").hidden = true;
    dialog.showModal();
    document.getElementById("signin-password").focus();
  }

  // The form is novalidate: an empty field gets our words beside it, in the
  // page's language, not the browser's bubble in the phone's.
  function signInFieldsFilled() {
    var first = null;
    ["signin-username", "signin-password"].forEach(function (id) {
      var field = document.getElementById(id);
      var empty = !field.value.trim();
      document.getElementById(id + "-error").hidden = !empty;
      if (empty) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      if (empty && !first) first = field;
    });
    if (first) first.focus();
    return !first;
  }

  function setupSignIn() {
    var form = document.getElementById("signin-form");
    document.getElementById("signin-later").addEventListener("click", function () {
      document.getElementById("signin").close();
    });
    ["signin-username", "signin-password"].forEach(function (id) {
      document.getElementById(id).addEventListener("input", function (event) {
        if (!event.target.value.trim()) return;
        document.getElementById(id + "-error").hidden = true;
        event.target.removeAttribute("aria-invalid");
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var error = document.getElementById("signin-error");
      var button = document.getElementById("signin-submit");
      error.hidden = true;
      if (!signInFieldsFilled()) return;
      button.disabled = true;
      // The expired session took its CSRF token along: fetch the new cookie's first.
      refreshCsrfToken().then(function () {
        return api("/api/v1/login", { method: "POST", json: {
          username: document.getElementById("signin-username").value.trim(),
          password: document.getElementById("signin-password").value,
          remember: true,
        } });
      }).then(function (result) {
        button.disabled = false;
        if (result.ok && result.body.must_change_password) {
          // An admin reset the password: it is changed before anything else.
          location.assign("/account/password?next=" + encodeURIComponent("/m/" + location.hash));
          return;
        }
        if (result.ok) {
          document.getElementById("signin-password").value = "";
          document.getElementById("signin").close();
          emit("signed-in", result.body);
        } else {
          error.textContent = t("m_signin_error", { message: message(result) });
          error.hidden = false;
        }
      }).catch(function () {
        button.disabled = false;
        error.textContent = t("network_error");
        error.hidden = false;
      });
    });
  }

  // Leaflet and friends come after the form is usable (and from the service
  // worker's cache on later starts).
  var laterPromise = null;
  function loadLater() {
    if (laterPromise) return laterPromise;
    laterPromise = Promise.all(data.later.filter(function (url) { return /\.(js|css)$/.test(url); }).map(function (url) {
      return new Promise(function (resolve, reject) {
        var node = /\.css$/.test(url)
          ? el("link", { rel: "stylesheet", href: url })
          : el("script", { src: url });
        node.onload = resolve;
        node.onerror = reject;
        document.head.append(node);
      });
    }));
    return laterPromise;
  }

  function start() {
    document.querySelectorAll(".tabbar button").forEach(function (b) {
      b.addEventListener("click", function () { show(b.getAttribute("data-tab")); });
    });
    window.addEventListener("popstate", function () { show((location.hash || "#report").slice(1), true); });
    document.querySelector("[data-set-lang]").addEventListener("click", function (event) {
      var code = event.currentTarget.getAttribute("data-set-lang");
      document.cookie = "lang=" + encodeURIComponent(code) + "; path=/; max-age=31536000; SameSite=Lax";
      location.reload();
    });
    window.addEventListener("online", function () { updateNet(); emit("online"); });
    window.addEventListener("offline", updateNet);
    updateNet();
    setupSignIn();
    emit("start");
    show((location.hash || "#report").slice(1));
    startGeo();
    if ("serviceWorker" in navigator && window.isSecureContext) {
      window.addEventListener("load", function () {
        navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(function () {});
      });
    }
  }

  window.GCM = {
    data: data, t: t, on: on, emit: emit, el: el, fill: fill, uuid: uuid, api: api, message: message,
    online: online, toast: toast, show: show, geo: geo, distance: distance,
    fmtDistance: fmtDistance, fmtTime: fmtTime, askToSignIn: askToSignIn, loadLater: loadLater,
    start: start, current: function () { return current; },
  };
})();

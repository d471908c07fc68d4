/* Shared by every page: the page's inline data, the language switch, sign-out
   and a small JSON fetch helper. Plain browser JS, no build step. */
(function () {
  "use strict";

  function pageData() {
    var node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  // The session's CSRF token: every state change sends it (X-CSRFToken) to
  // prove it comes from our page. From the page's meta tag, renewed by a
  // sign-in answer, and fetched again once when the server refuses it (the
  // session changed since the page was rendered).
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.content : null;

  function isStateChange(method) {
    return !/^(GET|HEAD|OPTIONS)$/i.test(method || "GET");
  }

  function refreshCsrfToken() {
    return fetch("/api/v1/csrf", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.json(); })
      .then(function (body) { csrfToken = body.csrf_token; });
  }

  // Fetch JSON from our own API. Resolves to {status, ok, body}; a signed-out
  // session sends the user back to the sign-in page.
  function fetchJSON(url, options, retried) {
    var opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    // Server messages in the page's language, whatever the browser prefers.
    var pageLang = (document.documentElement.lang || "zh").slice(0, 2) === "zh" ? "zh" : "en";
    opts.headers = Object.assign({ Accept: "application/json", "Accept-Language": pageLang }, opts.headers);
    if (opts.json !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    if (isStateChange(opts.method) && csrfToken) opts.headers["X-CSRFToken"] = csrfToken;
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (resp.status === 403 && body && body.error === "csrf_failed" && !retried) {
          return refreshCsrfToken().then(function () { return fetchJSON(url, options, true); });
        }
        if (body && body.csrf_token) csrfToken = body.csrf_token; // a new session's
        return { status: resp.status, ok: resp.ok, body: body };
      });
    });
  }

  function redirectToLogin() {
    var here = window.location.pathname + window.location.search;
    window.location.assign("/login?next=" + encodeURIComponent(here));
  }

  function setLanguage(code) {
    // gridcity.core.i18n.current_language reads this cookie.
    document.cookie = "lang=" + encodeURIComponent(code) + "; path=/; max-age=31536000; SameSite=Lax";
    window.location.reload();
  }

  function signOut() {
    fetchJSON("/api/v1/logout", { method: "POST" }).finally(function () {
      window.location.assign("/login");
    });
  }

  document.addEventListener("click", function (event) {
    var langButton = event.target.closest("[data-set-lang]");
    if (langButton) {
      setLanguage(langButton.getAttribute("data-set-lang"));
      return;
    }
    if (event.target.closest("[data-action='sign-out']")) {
      signOut();
    }
  });

  // Our own words where the browser would use its own, in the computer's
  // language rather than the page's:
  // - a form marked data-own-validation is not validated by the browser; an
  //   empty required field shows the message beside it (#<id>-error) instead
  //   of the browser's bubble, and the form is not sent;
  // - a file input marked data-none sits behind its label (a button in the
  //   page's words), and #<id>-chosen says what was chosen (data-none when
  //   nothing, data-chosen with {n}), instead of "Choose Files / No file chosen".
  function fieldError(field) {
    return field.id ? document.getElementById(field.id + "-error") : null;
  }

  function requiredFilled(form) {
    var first = null;
    form.querySelectorAll("[required]").forEach(function (field) {
      var empty = field.type === "file" ? !field.files.length : !field.value.trim();
      var box = fieldError(field);
      if (box) box.hidden = !empty;
      if (empty) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      if (empty && !first) first = field;
    });
    if (first) first.focus();
    return !first;
  }

  document.querySelectorAll("form[data-own-validation]").forEach(function (form) {
    form.noValidate = true;
    // Capturing, so the page's own submit handler never sees an incomplete form.
    form.addEventListener("submit", function (event) {
      if (requiredFilled(form)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
    }, true);
    form.addEventListener("input", function (event) {
      var box = fieldError(event.target);
      if (box && event.target.value.trim()) {
        box.hidden = true;
        event.target.removeAttribute("aria-invalid");
      }
    });
  });

  document.querySelectorAll("input[type=file][data-none]").forEach(function (input) {
    var status = document.getElementById(input.id + "-chosen");
    function show() {
      var n = input.files ? input.files.length : 0;
      status.textContent = n ? input.getAttribute("data-chosen").split("{n}").join(String(n)) : input.getAttribute("data-none");
    }
    input.addEventListener("change", show);
    if (input.form) input.form.addEventListener("reset", function () { setTimeout(show, 0); });
    show();
  });

  window.GridCity = {
    pageData: pageData,
    fetchJSON: fetchJSON,
    redirectToLogin: redirectToLogin,
  };
})();

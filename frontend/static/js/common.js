/* Shared by every page: the page's inline data, the language switch, sign-out
   and a small JSON fetch helper. Plain browser JS, no build step. */
(function () {
  "use strict";

  function pageData() {
    var node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  // Fetch JSON from our own API. Resolves to {status, ok, body}; a signed-out
  // session sends the user back to the sign-in page.
  function fetchJSON(url, options) {
    var opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    // Server messages in the page's language, whatever the browser prefers.
    var pageLang = (document.documentElement.lang || "zh").slice(0, 2) === "zh" ? "zh" : "en";
    opts.headers = Object.assign({ Accept: "application/json", "Accept-Language": pageLang }, opts.headers);
    if (opts.json !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
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

  window.GridCity = {
    pageData: pageData,
    fetchJSON: fetchJSON,
    redirectToLogin: redirectToLogin,
  };
})();

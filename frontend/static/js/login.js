/* Sign-in form: posts JSON to /api/v1/login, then goes to ?next= (a local
   path, checked by the server) or home. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var form = document.getElementById("login-form");
  var errorBox = document.getElementById("login-error");
  var submit = document.getElementById("login-submit");

  // The server already keeps only local paths; checked again here so this
  // page can never send anyone to another host (//host, /\host, /%09/host).
  function localPath(next) {
    return typeof next === "string" && /^\/(?![\/\\])[^\\\s\x00-\x1f\x7f]*$/.test(next) ? next : "/";
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function setBusy(busy) {
    submit.disabled = busy;
    submit.textContent = busy ? submit.getAttribute("data-busy-text") : data.texts.sign_in;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    var payload = {
      username: form.elements.username.value.trim(),
      password: form.elements.password.value,
      remember: form.elements.remember.checked,
    };
    setBusy(true);
    window.GridCity.fetchJSON("/api/v1/login", { method: "POST", json: payload })
      .then(function (result) {
        if (result.ok) {
          // Replaced, not added: the back button must not return to this form.
          window.location.replace(localPath(data.next));
          return;
        }
        setBusy(false);
        showError((result.body && result.body.message) || data.texts.network_error);
      })
      .catch(function () {
        setBusy(false);
        showError(data.texts.network_error);
      });
  });
})();

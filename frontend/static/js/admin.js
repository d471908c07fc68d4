/* Admin tables: users, units and categories, loaded from the API. */
(function () {
  "use strict";
  var data = window.GridCity.pageData();
  var T = data.texts;
  var lang = document.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en";

  function text(key, fallback) {
    return T[key] !== undefined ? T[key] : fallback;
  }

  var ROWS = {
    users: function (u) {
      return [
        u.username,
        u.display_name,
        u.role_name ? u.role_name[lang] : u.role,
        u.unit ? u.unit.name : "",
        (u.scope && u.scope.work_grids || []).map(function (w) { return w.code; }).join(", "),
      ];
    },
    units: function (u) {
      return [
        u.code,
        u.name,
        text("unit_kind_" + u.kind, u.kind),
        u.contact_name || "",
        u.contact_phone || "",
        u.active ? T.yes : T.no,
      ];
    },
    categories: function (c) {
      var deadline = c.deadline && c.deadline.clock
        ? text("clock_" + c.deadline.clock, "{n} " + c.deadline.clock).replace("{n}", String(c.deadline.amount))
        : "";
      return [
        c.code,
        text("kind_" + c.kind, c.kind),
        c.major ? c.major["name_" + lang] || c.major.name_zh : "",
        c["name_" + lang] || c.name_zh,
        text("urgency_" + c.urgency, c.urgency),
        deadline,
      ];
    },
  };

  function fill(table, cells) {
    var body = table.tBodies[0];
    body.textContent = "";
    cells.forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (value) {
        tr.insertCell().textContent = value;
      });
    });
  }

  function message(table, value) {
    var body = table.tBodies[0];
    body.textContent = "";
    var cell = body.insertRow().insertCell();
    cell.colSpan = table.tHead.rows[0].cells.length;
    cell.className = "muted";
    cell.textContent = value;
  }

  document.querySelectorAll("table[data-source]").forEach(function (table) {
    var name = table.getAttribute("data-table");
    window.GridCity.fetchJSON(table.getAttribute("data-source")).then(function (result) {
      if (result.status === 401) {
        window.GridCity.redirectToLogin();
        return;
      }
      if (!result.ok || !Array.isArray(result.body)) {
        message(table, (result.body && result.body.message) || T.load_error);
        return;
      }
      fill(table, result.body.map(ROWS[name]));
      var badge = document.querySelector("[data-count-for='" + name + "']");
      if (badge) badge.textContent = String(result.body.length);
      table.setAttribute("data-loaded", String(result.body.length));
    }).catch(function () {
      message(table, T.load_error);
    });
  });
})();

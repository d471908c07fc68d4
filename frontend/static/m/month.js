/* 本月: my figures for a month, computed by the server exactly as the
   scorecards count them. The month is chosen with our own picker (the last
   twelve months, named in the page's language), not the browser's month
   input, whose calendar speaks the phone's language. */
(function () {
  "use strict";
  var G = window.GCM;
  var current = null;  // this month (the server's, in the city's time zone): "YYYY-MM"
  var chosen = null;

  function stat(label, value, testid) {
    return G.el("div", { class: "stat" }, [
      G.el("span", { class: "value", text: value, "data-testid": testid }),
      G.el("span", { class: "label", text: label }),
    ]);
  }

  function shift(month, by) {
    var y = parseInt(month.slice(0, 4), 10), m = parseInt(month.slice(5, 7), 10) - 1 + by;
    y += Math.floor(m / 12);
    m = ((m % 12) + 12) % 12;
    return y + "-" + (m < 9 ? "0" : "") + (m + 1);
  }

  function monthName(month) {
    var date = new Date(Date.UTC(parseInt(month.slice(0, 4), 10), parseInt(month.slice(5, 7), 10) - 1, 1));
    return new Intl.DateTimeFormat(G.data.lang === "zh" ? "zh-CN" : "en", { year: "numeric", month: "long", timeZone: "UTC" }).format(date);
  }

  function fillPicker() {
    var select = document.getElementById("month-select");
    var options = [];
    for (var n = 0; n < 12; n++) {
      var month = shift(current, -n);
      options.push(G.el("option", { value: month, text: monthName(month) }));
    }
    select.replaceChildren.apply(select, options);
    select.value = chosen;
    document.getElementById("month-next").disabled = chosen >= current;
    document.getElementById("month-prev").disabled = chosen <= shift(current, -11);
  }

  function load(month) {
    var box = document.getElementById("month-stats");
    if (!G.online()) { G.toast(G.t("m_offline")); return; }
    G.api("/api/v1/me/month" + (month ? "?month=" + month : "")).then(function (r) {
      if (!r.ok) { box.replaceChildren(G.el("p", { class: "form-error", text: G.message(r) })); return; }
      var m = r.body;
      if (!month) current = m.month;
      chosen = m.month;
      fillPicker();
      document.getElementById("month-title").textContent = chosen === current
        ? G.t("m_month_title", { month: monthName(m.month) })
        : monthName(m.month);
      box.replaceChildren(
        stat(G.t("m_month_reports"), String(m.reports), "month-reports"),
        stat(G.t("m_month_valid"), String(m.valid_reports), "month-valid"),
        stat(G.t("m_month_verify"), m.verify_on_time + " / " + m.verify_done, "month-verify"),
        stat(G.t("m_month_check"), m.check_on_time + " / " + m.check_done, "month-check"),
        stat(G.t("m_month_patrols"), String(m.patrols), "month-patrols"),
        stat(G.t("m_patrol_distance"), G.fmtDistance(m.patrol_distance_m), "month-distance")
      );
    }).catch(function () { G.toast(G.t("network_error")); });
  }

  G.on("start", function () {
    document.getElementById("month-select").addEventListener("change", function (e) { load(e.target.value); });
    document.getElementById("month-prev").addEventListener("click", function () { load(shift(chosen, -1)); });
    document.getElementById("month-next").addEventListener("click", function () { load(shift(chosen, 1)); });
  });
  G.on("tab", function (name) { if (name === "month") load(chosen && chosen !== current ? chosen : null); });
  G.month = { load: load };
})();

/* 本月: my figures this month, computed by the server exactly as the scorecards count them. */
(function () {
  "use strict";
  var G = window.GCM;

  function stat(label, value, testid) {
    return G.el("div", { class: "stat" }, [
      G.el("span", { class: "value", text: value, "data-testid": testid }),
      G.el("span", { class: "label", text: label }),
    ]);
  }

  function load() {
    var box = document.getElementById("month-stats");
    if (!G.online()) { G.toast(G.t("m_offline")); return; }
    G.api("/api/v1/me/month").then(function (r) {
      if (!r.ok) { box.replaceChildren(G.el("p", { class: "form-error", text: G.message(r) })); return; }
      var m = r.body;
      document.getElementById("month-title").textContent = G.t("m_month_title", { month: m.month });
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

  G.on("tab", function (name) { if (name === "month") load(); });
  G.month = { load: load };
})();

/* Figures that explain themselves (scorecard pages): each rate and score is a
   <details> whose popover shows its formula with the month's numbers. It opens
   by click or tap without this script; the script only keeps the open one in
   view over a scrolling table, keeps one open at a time, and closes it on
   Escape or a click elsewhere. */
(function () {
  "use strict";

  function openOnes() {
    return Array.prototype.slice.call(document.querySelectorAll("details.explain[open]"));
  }

  function place(details) {
    var pop = details.querySelector(".explain-pop");
    var summary = details.querySelector("summary");
    if (!pop || !summary) return;
    pop.style.position = "fixed";
    pop.style.right = "auto";
    var anchor = summary.getBoundingClientRect();
    var width = pop.offsetWidth;
    var height = pop.offsetHeight;
    var left = Math.min(Math.max(8, anchor.right - width), window.innerWidth - width - 8);
    var top = anchor.bottom + 4;
    if (top + height > window.innerHeight - 8 && anchor.top - height - 4 > 8) top = anchor.top - height - 4;
    pop.style.left = Math.max(8, left) + "px";
    pop.style.top = top + "px";
  }

  function closeAll(except) {
    openOnes().forEach(function (d) { if (d !== except) d.open = false; });
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.classList || !details.classList.contains("explain") || !details.open) return;
    closeAll(details);
    place(details);
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeAll(null);
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.explain")) closeAll(null);
  });
  function follow() { openOnes().forEach(place); }
  window.addEventListener("scroll", follow, { capture: true, passive: true });
  window.addEventListener("resize", follow);
})();

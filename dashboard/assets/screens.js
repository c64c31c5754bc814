/* The screen loader: loads a screen's own JS and CSS (listed in its page config) only while that screen is shown.
 * A screen's root carries data-gp-screen and data-gp-assets; when it leaves the page its styles are removed and a
 * "gp:screen-leave" event (detail: screen name) lets its code stop its sockets and timers.
 * Order: gp-core.js (window.GP) runs before this file (Dash loads assets/ in name order); a screen's files register
 * themselves with GP.define and each runs once the modules it names are there, whatever order the files arrive in.
 * The page config's language and time zone are applied before any of the screen's code runs. */
(function () {
  "use strict";
  var loaded = {};   // url → true (scripts run once per page load)
  var current = null;

  function load(node) {
    var screen = node.getAttribute("data-gp-screen");
    if (screen === current) return;
    leave();
    current = screen;
    document.documentElement.setAttribute("data-gp-screen", screen);
    var core = window.GP.core, cfg = core.config(screen);
    if (cfg && cfg.lang) document.documentElement.lang = cfg.lang;
    if (cfg) core.setZone(cfg.timezone);
    var reentered = false;  // the screen's scripts ran before (it was left and shown again): tell it once
    JSON.parse(node.getAttribute("data-gp-assets") || "[]").forEach(function (a) {
      if (a.kind === "style") {
        var link = document.createElement("link");
        link.rel = "stylesheet"; link.href = a.url; link.setAttribute("data-gp-style", screen);
        document.head.appendChild(link);
      } else if (!loaded[a.url]) {
        loaded[a.url] = true;
        var s = document.createElement("script");
        s.src = a.url; s.async = false;
        document.head.appendChild(s);
      } else {
        reentered = true;
      }
    });
    if (reentered) document.dispatchEvent(new CustomEvent("gp:screen-enter", { detail: screen }));
  }

  function leave() {
    if (!current) return;
    var was = current;
    current = null;
    document.querySelectorAll('link[data-gp-style="' + was + '"]').forEach(function (l) { l.remove(); });
    document.dispatchEvent(new CustomEvent("gp:screen-leave", { detail: was }));
  }

  function scan() {
    var node = document.querySelector("[data-gp-screen]");
    if (node) load(node); else leave();
  }

  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  if (document.readyState !== "loading") scan(); else document.addEventListener("DOMContentLoaded", scan);
})();

/* The wall map's hover: the worker under the mouse (nearest dot) or the grid Plotly reports, in one tooltip.
 * Its text is built only for what is under the mouse, once per animation frame at most.
 *
 * The worker's phone attributes (ignition, charging, event…) are not in the push rows: the hover asks
 * /api/v1/live?worker=ID (one HMGET on the server) when it shows a worker, at most once per ATTRS_MS and worker,
 * and redraws when the answer comes.  Keys and values come from phones: escaped.
 *
 * GP.wall.hover.wire(S) with S the wall's state (wall.js): S.W, S.ov, S.gd, S.els, S.cfg, S.L, S.tickets, S.remPx.
 */
GP.define("wall.hover", ["core", "wall.workers"], function (GP) {
  "use strict";
  var core = GP.core, WK = GP.wall.workers, F = WK.F, ST_NAME = WK.ST_NAME;

  var ATTRS_MS = 5000, ATTRS_PER_LINE = 3;
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  function wire(S) {
    var mouse = null, hoverGrid = null, pending = 0;
    var attrs = new Map();  // worker id → {at: ms, map: attrs or null, busy: bool}

    function redraw() { if (!pending) pending = window.requestAnimationFrame(function () { pending = 0; showTip(); }); }

    function attrsOf(id) {
      var c = attrs.get(id), now = Date.now();
      if (!c || (!c.busy && now - c.at > ATTRS_MS)) {
        c = { at: now, map: c ? c.map : null, busy: true };
        attrs.set(id, c);
        core.fetchJson("/api/v1/live?worker=" + encodeURIComponent(id)).then(function (body) {
          var w = body.workers && body.workers[0];
          c.map = w && w.attrs ? w.attrs : null;
        }, function (err) { window.console.warn("GridPulse: attributes of " + id + " failed", err); })
          .then(function () { c.busy = false; c.at = Date.now(); redraw(); });
      }
      return c.map;
    }

    function attrLines(map) {
      var names = S.L.attrs || {}, parts = [], lines = [];
      Object.keys(map).forEach(function (k) { parts.push(esc(names[k] || k) + ": " + esc(map[k])); });
      for (var i = 0; i < parts.length; i += ATTRS_PER_LINE) lines.push(parts.slice(i, i + ATTRS_PER_LINE).join(" · "));
      return lines;
    }

    function nearestDot(x, y, maxPx) {
      var v = S.ov.view(), W = S.W;
      if (!v || !W) return -1;
      var best = -1, bestD = maxPx * maxPx;
      for (var i = 0; i < W.n; i++) {
        if (!(W.flags[i] & F.POS)) continue;
        var p = S.ov.px(v, W.mx[i], W.my[i], W.lon[i], W.lat[i]), dx = p[0] - x, dy = p[1] - y, d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = i; }
      }
      return best;
    }

    function workerLines(i) {
      var W = S.W, L = S.L, s = ST_NAME[W.status[i]], f = W.flags[i], st = L.status[s] || s;
      if (s === "online") st += " · " + (f & F.MOVING ? L.moving : (f & F.IDLE ? L.idle : L.still));
      if (f & F.OUTSIDE) st += " · " + L.outside;
      if (f & F.SOS) st += " · " + L.sos;
      var lines = ["<b>" + esc(W.names[i]) + "</b> " + esc(W.ids[i]), st, L.grid + " " + esc(W.grid[i] || "—"),
                   L.last_fix + " " + core.fmtTime(W.ts[i] === W.ts[i] ? W.ts[i] : null)];
      if (W.spd[i] === W.spd[i]) lines.push(L.speed + " " + W.spd[i].toFixed(1) + " km/h");
      if (W.bat[i] === W.bat[i]) lines.push(L.battery + " " + Math.round(W.bat[i]) + "%");
      var map = attrsOf(W.ids[i]);
      if (map) lines = lines.concat(attrLines(map));
      return lines;
    }

    function gridLines(code) {
      var W = S.W, L = S.L, lines = ["<b>" + L.grid + " " + esc(code) + "</b>"], who = (S.cfg.grid_worker || {})[code];
      if (who) {
        var i = W ? W.index.get(who[0]) : undefined;
        var st = i === undefined ? L.status.offline : (L.status[ST_NAME[W.status[i]]] || "");
        lines.push(L.worker + " " + esc(who[1]) + " (" + esc(who[0]) + ") · " + st);
      } else lines.push(L.worker + " " + L.no_worker);
      var n = { red: 0, yellow: 0, green: 0, none: 0 }, total = 0;
      S.tickets.forEach(function (t) { if (t.grid === code) { total += 1; n[t.light || "none"] += 1; } });
      lines.push(L.open_tickets + " " + total + (total ? " (🔴" + n.red + " 🟡" + n.yellow + " 🟢" + n.green + ")" : ""));
      return lines;
    }

    function showTip() {
      var tip = S.els.tip, map = S.els.map;
      if (!mouse) { tip.hidden = true; return; }
      var i = nearestDot(mouse.x, mouse.y, S.remPx * 0.7), lines = null;
      if (i >= 0) lines = workerLines(i); else if (hoverGrid) lines = gridLines(hoverGrid);
      if (!lines) { tip.hidden = true; return; }
      tip.innerHTML = lines.join("<br>");
      tip.hidden = false;
      var w = map.clientWidth, h = map.clientHeight;
      var x = mouse.x + 14, y = mouse.y + 14;
      if (x + tip.offsetWidth > w) x = mouse.x - tip.offsetWidth - 14;
      if (y + tip.offsetHeight > h) y = mouse.y - tip.offsetHeight - 14;
      tip.style.left = x + "px"; tip.style.top = y + "px";
    }

    S.els.map.addEventListener("mousemove", function (ev) {
      var r = S.els.map.getBoundingClientRect();
      mouse = { x: ev.clientX - r.left, y: ev.clientY - r.top };
      redraw();
    });
    S.els.map.addEventListener("mouseleave", function () { mouse = null; hoverGrid = null; showTip(); });
    if (S.gd.on) {
      S.gd.on("plotly_hover", function (e) {
        var p = e && e.points && e.points[0];
        hoverGrid = p && p.location ? p.location : null;
        showTip();
      });
      S.gd.on("plotly_unhover", function () { hoverGrid = null; showTip(); });
    }
  }

  return { wire: wire };
});

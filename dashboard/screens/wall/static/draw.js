/* The wall's canvases: worker dots and street names, ticket heat, new-ticket marks.
 *
 * GP.wall.draw.create(S) → {dots(), heat(), pulse(mark)} with S the wall's state (wall.js): S.W, S.ov, S.els,
 * S.tickets, S.heatOn, S.remPx, S.stats. Dots are drawn in five passes of one fill each; hover text is not built here.
 */
GP.define("wall.draw", ["core", "wall.workers", "wall.heat"], function (GP) {
  "use strict";
  var core = GP.core, F = GP.wall.workers.F;
  var COLORS = { offline: "#5d6b80", stale: "#ffb020", online: "#ff3b30", moving: "#ff6a5f", sos: "#ff2bd6" };
  var LIGHT_WEIGHT = { red: 3, yellow: 2, green: 1 };
  var PULSE_MS = 4000, TAU = 6.283185307179586;

  function create(S) {
    var pulses = [];  // new-ticket marks being animated: {t0, lon, lat, mx, my}

    function dots() {
      var t0 = performance.now(), v = S.ov.view(), W = S.W, stats = S.stats, remPx = S.remPx;
      if (!v || !W) return;
      var g = S.els.dots.getContext("2d");
      g.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
      g.clearRect(0, 0, v.w, v.h);
      var r = remPx * 0.2, rMove = remPx * 0.26, rSos = remPx * 0.5;
      // Five passes, one fill each: offline, stale, online still, online moving, SOS on top.
      pass(g, v, r * 0.9, COLORS.offline, function (s, f) { return s === 0 && !(f & F.SOS); });
      pass(g, v, r, COLORS.stale, function (s, f) { return s === 2 && !(f & F.SOS); });
      pass(g, v, r, COLORS.online, function (s, f) { return s === 1 && !(f & (F.MOVING | F.SOS)); });
      pass(g, v, rMove, COLORS.moving, function (s, f) { return s === 1 && (f & F.MOVING) && !(f & F.SOS); });
      pass(g, v, rSos, COLORS.sos, function (s, f) { return s !== 0 && (f & F.SOS); });
      labels(g, v);
      stats.draws += 1;
      if (!stats.at.dots && W.n) stats.at.dots = performance.now();
      stats.lastDrawMs = performance.now() - t0;
      stats.drawMs += stats.lastDrawMs;
    }

    function pass(g, v, r, color, test) {
      var W = S.W, px = S.ov.px;
      g.beginPath();
      var any = false, pad = r + 2;
      for (var i = 0; i < W.n; i++) {
        var f = W.flags[i];
        if (!(f & F.POS) || !test(W.status[i], f)) continue;
        var p = px(v, W.mx[i], W.my[i], W.lon[i], W.lat[i]), x = p[0], y = p[1];
        if (x < -pad || y < -pad || x > v.w + pad || y > v.h + pad) continue;
        g.moveTo(x + r, y);
        g.arc(x, y, r, 0, TAU);
        any = true;
      }
      if (any) { g.fillStyle = color; g.fill(); }
    }

    function labels(g, v) {
      var list = S.cfg.street_labels || [], remPx = S.remPx;
      if (!list.length) return;
      g.font = "bold " + Math.round(remPx * 0.95) + "px 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";
      g.textAlign = "center"; g.textBaseline = "middle";
      g.lineWidth = Math.max(2, remPx * 0.22); g.strokeStyle = "rgba(4, 11, 22, 0.9)"; g.fillStyle = "rgba(190, 236, 255, 0.92)";
      for (var k = 0; k < list.length; k++) {
        var l = list[k], lon = l[0], lat = l[1];
        if (S.cfg.gcj02) { var q = core.wgs84ToGcj02(lon, lat); lon = q[0]; lat = q[1]; }
        var p = S.ov.px(v, core.mercX(lon), core.mercY(lat), lon, lat);
        g.strokeText(l[2], p[0], p[1]);
        g.fillText(l[2], p[0], p[1]);
      }
    }

    function heat() {
      core.setText(S.els.openCount, String(S.tickets.size));
      if (!S.ov || !S.ov.ready()) return;
      var v = S.ov.view(), pts = [];
      if (S.heatOn) {
        S.tickets.forEach(function (t) {
          var p = S.ov.px(v, t.mx, t.my, t.lon, t.lat);
          pts.push([p[0], p[1], LIGHT_WEIGHT[t.light] || 0.5]);
        });
      }
      GP.wall.heat.draw(S.els.heat, pts, { radius: S.remPx * 0.75, blur: S.remPx * 0.85, max: 3, alpha: 0.4 });
    }

    function drawPulses(now) {
      var v = S.ov && S.ov.view(), remPx = S.remPx;
      var g = S.els.pulse.getContext("2d");
      if (!v) return;
      g.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
      g.clearRect(0, 0, v.w, v.h);
      pulses = pulses.filter(function (p) { return now - p.t0 < PULSE_MS; });
      for (var i = 0; i < pulses.length; i++) {
        var p = pulses[i], k = (now - p.t0) / PULSE_MS, xy = S.ov.px(v, p.mx, p.my, p.lon, p.lat);
        for (var ring = 0; ring < 2; ring++) {
          var kk = (k * 2 + ring * 0.5) % 1;
          g.beginPath();
          g.arc(xy[0], xy[1], remPx * (0.4 + 2.2 * kk), 0, TAU);
          g.strokeStyle = "rgba(63, 208, 255, " + (1 - kk).toFixed(2) + ")";
          g.lineWidth = remPx * 0.18;
          g.stroke();
        }
        g.beginPath(); g.arc(xy[0], xy[1], remPx * 0.3, 0, TAU); g.fillStyle = "#3fd0ff"; g.fill();
      }
      if (pulses.length) window.requestAnimationFrame(drawPulses);
    }

    // A new ticket at (lon, lat) in the tiles' datum: rings for PULSE_MS.
    function pulse(lon, lat) {
      pulses.push({ t0: performance.now(), lon: lon, lat: lat, mx: core.mercX(lon), my: core.mercY(lat) });
      if (pulses.length === 1) window.requestAnimationFrame(drawPulses);
    }

    return { dots: dots, heat: heat, pulse: pulse };
  }

  return { create: create };
});

/* Multi-worker replay: every worker of the street played together on the street screen's canvas.
 *
 * One request (/api/v1/tracks?street&date&from&to) brings each worker's delta-encoded fixes and stays; they are
 * decoded once into typed arrays of Web Mercator world coordinates, so a frame only scales and translates.
 * Per frame and worker: advance a cursor to the replay time, interpolate the dot, stroke the trail of the last
 * TRAIL_S seconds in ALPHAS.length buckets of fading alpha, and draw the stays that have begun (a growing ring
 * while one lasts).  GP.street.replay.stats counts frames for the bench; street.js calls init(S) with its state.
 */
GP.define("street.replay", ["core"], function (GP) {
  "use strict";
  var core = GP.core;
  var TRAIL_S = 600;             // fading trail: the last 10 minutes of replay time
  var MIN_PX = 2.5;              // trail vertices closer than this on screen are skipped
  var GAP_S = 300;               // a silence longer than this hides the dot and breaks the trail
  var ALPHAS = [0.15, 0.3, 0.55, 0.9];
  var TRAIL_STYLES = ALPHAS.map(function (a) { return "rgba(255, 110, 90, " + a + ")"; });
  var R = {
    skip: {}, // layers left out (bench experiments): {stays, trails}
    active: false, playing: false, speed: 60, t: 0, span: 0, origin: 0, workers: [], follow: "",
    stats: { frames: 0, drawMs: 0, loadMs: null, decodeMs: null, bytes: 0, fixes: 0 }
  };
  var S, canvas, ctx2d, last = 0, dirty = false, raf = 0;

  function el(id) { return document.getElementById(id); }

  R.init = function (street) {
    S = street;
    canvas = el("street-canvas"); ctx2d = canvas.getContext("2d");
    makeControls(S.cfg);
    el("replay-load").addEventListener("click", function () {
      R.load(el("replay-date").value, el("replay-from").value, el("replay-to").value);
    });
    el("replay-play").addEventListener("click", function () { if (R.playing) R.pause(); else R.play(); });
    var sp = el("replay-speed");
    sp.value = String(R.speed);
    sp.addEventListener("change", function () { R.setSpeed(Number(sp.value)); });
    el("replay-slider").addEventListener("input", function (e) { R.seek(R.span * Number(e.target.value) / 1000); });
    el("replay-follow").addEventListener("change", function (e) { R.follow = e.target.value; R.markDirty(); });
    el("replay-close").addEventListener("click", function () {
      R.stop(); R.workers = []; el("replay-play").disabled = true; el("replay-slider").disabled = true;
      el("replay-status").textContent = ""; S.markDirty();
    });
  };

  R.load = function (date, from, to) {
    var L = S.cfg.labels, t0 = performance.now();
    el("replay-status").textContent = L.loading;
    var qs = new URLSearchParams({ street: S.cfg.street, date: date, from: from || "00:00", to: to || "23:59",
                                   format: "bin" });
    return core.fetch("/api/v1/tracks?" + qs)
      .then(function (r) {
        if (!r.ok) return r.json().then(function (e) { throw e; });
        return r.arrayBuffer();
      })
      .then(function (buf) {
        var t1 = performance.now();
        var body = unpack(buf);
        R.stats.bytes = buf.byteLength;
        R.origin = body.origin;
        R.span = body.end - body.origin;
        R.workers = body.workers.map(function (w) {
          var d = S.decodeWorker(w, body.origin);
          d.cursor = 0;
          return d;
        });
        R.stats.fixes = R.workers.reduce(function (a, w) { return a + w.t.length; }, 0);
        R.stats.decodeMs = performance.now() - t1;
        R.stats.loadMs = performance.now() - t0;
        R.t = 0; R.active = true; R.stats.frames = 0; R.stats.drawMs = 0;
        fillFollow();
        el("replay-play").disabled = false; el("replay-slider").disabled = false;
        el("replay-status").textContent = R.workers.length + " " + L.workers_loaded + " · " + R.stats.fixes + " " +
          L.fixes + " · " + (R.stats.loadMs / 1000).toFixed(2) + "s";
        R.markDirty();
        return R.stats;
      })
      .catch(function (e) { el("replay-status").textContent = (e && e.message) || S.cfg.labels.error; throw e; });
  };

  function makeControls(cfg) {
    var sp = document.createElement("select");
    sp.id = "replay-speed"; sp.className = "gp-in";
    cfg.speeds.forEach(function (x) { var o = document.createElement("option"); o.value = String(x); o.textContent = x + "×"; sp.appendChild(o); });
    el("replay-speed-box").appendChild(sp);
    var sl = document.createElement("input");
    sl.type = "range"; sl.id = "replay-slider"; sl.className = "gp-slider"; sl.min = "0"; sl.max = "1000"; sl.value = "0";
    sl.disabled = true;
    el("replay-slider-box").appendChild(sl);
    var fo = document.createElement("select");
    fo.id = "replay-follow"; fo.className = "gp-in";
    var none = document.createElement("option"); none.value = ""; none.textContent = cfg.labels.follow_none;
    fo.appendChild(none);
    el("replay-follow-box").appendChild(fo);
  }

  // format=bin: uint32 header length, JSON header, then per worker int32 t pairs, x, y (views, not copies)
  function unpack(buf) {
    var dv = new DataView(buf), h = dv.getUint32(0, true);
    var body = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, h)));
    var off = 4 + h;
    body.workers.forEach(function (w) {
      w.t = new Int32Array(buf, off, 2 * w.runs); off += 8 * w.runs;
      w.x = new Int32Array(buf, off, w.n); off += 4 * w.n;
      w.y = new Int32Array(buf, off, w.n); off += 4 * w.n;
    });
    return body;
  }

  R.unpack = unpack;

  function fillFollow() {
    var sel = el("replay-follow"), keep = sel.firstElementChild;
    sel.textContent = ""; sel.appendChild(keep);
    R.workers.forEach(function (w) {
      if (!w.t.length) return;
      var o = document.createElement("option"); o.value = w.id; o.textContent = w.name || w.id; sel.appendChild(o);
    });
  }

  R.play = function () {
    if (!R.active) return;
    if (R.t >= R.span) R.seek(0);
    R.playing = true; last = performance.now();
    el("replay-play").textContent = "❚❚"; el("replay-play").title = S.cfg.labels.pause;
    loop();
  };
  R.pause = function () {
    R.playing = false;
    el("replay-play").textContent = "▶"; el("replay-play").title = S.cfg.labels.play;
  };
  R.stop = function () { R.pause(); R.active = false; window.cancelAnimationFrame(raf); };
  R.setSpeed = function (x) { R.speed = Math.max(1, Math.min(600, x || 1)); };
  R.seek = function (t) {
    R.t = Math.max(0, Math.min(R.span, t));
    R.workers.forEach(function (w) { w.cursor = 0; });
    R.markDirty();
  };
  R.markDirty = function () {
    if (R.playing || dirty || !R.active) return;
    dirty = true; raf = window.requestAnimationFrame(function () { dirty = false; frame(); });
  };

  function loop() {
    if (!R.playing) return;
    var now = performance.now();
    R.t += (now - last) / 1000 * R.speed;
    last = now;
    if (R.t >= R.span) { R.t = R.span; frame(); R.pause(); return; }
    frame();
    raf = window.requestAnimationFrame(loop);
  }

  // index of the last fix at or before t (cursor moves forward while playing; seek resets it)
  function indexAt(w, t) {
    var a = w.t, i = w.cursor, n = a.length;
    if (i >= n || a[i] > t) { // binary search
      var lo = 0, hi = n - 1;
      if (!n || a[0] > t) { w.cursor = 0; return -1; }
      while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (a[mid] <= t) lo = mid; else hi = mid - 1; }
      w.cursor = lo; return lo;
    }
    while (i + 1 < n && a[i + 1] <= t) i++;
    w.cursor = i; return i;
  }

  var lastUi = 0, bounds = [];
  // One path per trail alpha for all workers (a stroke per alpha, not per worker), one for the dots, three for
  // the stays: a frame is a handful of canvas calls whatever the number of workers.
  function frame() {
    var v = S.currentView();
    if (!v) return;
    var f0 = performance.now();
    R.stats.frames += 1;
    var dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(v.w * dpr)) { canvas.width = Math.round(v.w * dpr); canvas.height = Math.round(v.h * dpr); }
    ctx2d.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx2d.clearRect(0, 0, v.w, v.h);
    var t = R.t, cx = v.cx, cy = v.cy, sc = v.scale, hw = v.w / 2, hh = v.h / 2, followed = null;
    var B = ALPHAS.length, bucketS = TRAIL_S / B, nw = R.workers.length, k, b, j;
    if (!R.skip.stays) drawStays(t, v);
    // bounds[k*(B+2) ...]: the current index, then the first index of each bucket, oldest first
    var stride = B + 2;
    if (bounds.length < nw * stride) bounds = new Int32Array(nw * stride);
    var dots = [];
    for (k = 0; k < nw; k++) {
      var w = R.workers[k], i = indexAt(w, t), tt = w.t;
      bounds[k * stride] = i;
      if (i < 0) continue;
      j = i;
      for (b = B; b >= 0; b--) {
        var from = t - (B - b) * bucketS;
        while (j > 0 && tt[j - 1] >= from) j--;
        bounds[k * stride + 1 + b] = j;
      }
      if (t - tt[i] > GAP_S) { bounds[k * stride] = -2; continue; } // silent: trail but no dot
      var x = w.px[i], y = w.py[i];
      if (i + 1 < tt.length && tt[i + 1] - tt[i] <= GAP_S) {
        var fr = (t - tt[i]) / (tt[i + 1] - tt[i]);
        x += (w.px[i + 1] - x) * fr; y += (w.py[i + 1] - y) * fr;
      }
      var sx = (x - cx) * sc + hw, sy = (y - cy) * sc + hh;
      dots.push(sx, sy);
      if (w.id === R.follow) followed = [sx, sy, w, x, y];
    }
    ctx2d.lineWidth = 1; // a hairline: rasterised without building a stroke outline (several times cheaper)
    for (b = 0; b < B && !R.skip.trails; b++) {
      ctx2d.beginPath();
      for (k = 0; k < nw; k++) {
        if (bounds[k * stride] === -1) continue;
        var wk = R.workers[k], px = wk.px, py = wk.py, tk = wk.t;
        var a0 = bounds[k * stride + 1 + b], a1 = bounds[k * stride + 2 + b];
        if (a1 <= a0) continue;
        var lx = (px[a0] - cx) * sc + hw, ly = (py[a0] - cy) * sc + hh;
        ctx2d.moveTo(lx, ly);
        for (j = a0 + 1; j <= a1; j++) {
          var X = (px[j] - cx) * sc + hw, Y = (py[j] - cy) * sc + hh;
          if (tk[j] - tk[j - 1] > GAP_S) { ctx2d.moveTo(X, Y); lx = X; ly = Y; continue; }
          // a vertex only once the trail has moved MIN_PX: at street zoom a 5-s step is under a pixel
          if (j !== a1 && Math.abs(X - lx) + Math.abs(Y - ly) < MIN_PX) continue;
          ctx2d.lineTo(X, Y); lx = X; ly = Y;
        }
      }
      ctx2d.strokeStyle = TRAIL_STYLES[b];
      ctx2d.stroke();
    }
    ctx2d.fillStyle = "#ff3b30";
    ctx2d.beginPath();
    for (var d = 0; d < dots.length; d += 2) { ctx2d.moveTo(dots[d] + 4.5, dots[d + 1]); ctx2d.arc(dots[d], dots[d + 1], 4.5, 0, 6.2832); }
    ctx2d.fill();
    if (followed) {
      ctx2d.beginPath(); ctx2d.arc(followed[0], followed[1], 11, 0, 6.2832);
      ctx2d.strokeStyle = "#fff"; ctx2d.lineWidth = 2.5; ctx2d.stroke();
      ctx2d.font = "bold 13px sans-serif"; ctx2d.fillStyle = "#fff";
      ctx2d.fillText(followed[2].name || followed[2].id, followed[0] + 14, followed[1] + 4);
      keepInView(followed, v);
    }
    var now = performance.now();
    R.stats.drawMs += now - f0;
    if (now - lastUi > 200 || !R.playing) {
      lastUi = now;
      el("replay-time").textContent = core.fmtTime(R.origin + t);
      el("replay-slider").value = String(R.span ? Math.round(1000 * t / R.span) : 0);
    }
  }

  // Stays that have begun: the ones under way as growing rings; finished ones as small squares (own grid brighter).
  // Squares, not circles: thousands of finished stays by the afternoon, and a rectangle costs next to nothing.
  function drawStays(t, v) {
    var on = new Path2D(), hw = v.w / 2, hh = v.h / 2;
    var ownFill = "rgba(255, 176, 32, 0.55)", awayFill = "rgba(255, 176, 32, 0.2)";
    for (var k = 0; k < R.workers.length; k++) {
      var st = R.workers[k].stays;
      for (var s = 0; s < st.length; s++) {
        var a = st[s];
        if (a.start > t) break;
        var x = (a.px - v.cx) * v.scale + hw, y = (a.py - v.cy) * v.scale + hh;
        if (a.end >= t) {
          var r = 4 + Math.min(12, Math.sqrt((t - a.start) / 60) * 2);
          on.moveTo(x + r, y); on.arc(x, y, r, 0, 6.2832);
        } else {
          ctx2d.fillStyle = a.own ? ownFill : awayFill;
          ctx2d.fillRect(x - 2.5, y - 2.5, 5, 5);
        }
      }
    }
    ctx2d.fillStyle = "rgba(255, 176, 32, 0.35)"; ctx2d.fill(on);
    ctx2d.strokeStyle = "#ffb020"; ctx2d.lineWidth = 1.5; ctx2d.stroke(on);
  }

  // Recentre on the followed worker when the dot leaves the middle 60 % of the map (not every frame).
  function keepInView(f, v) {
    if (f[0] > v.w * 0.2 && f[0] < v.w * 0.8 && f[1] > v.h * 0.2 && f[1] < v.h * 0.8) return;
    var pm = core.plotMap(document.querySelector("#street-map .js-plotly-plot"));
    if (!pm || !pm.map) return;
    pm.map.jumpTo({ center: core.unmerc(f[3], f[4]) });
  }

  return R;
});

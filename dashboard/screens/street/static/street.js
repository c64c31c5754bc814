/* The street screen: live dots on a canvas over the Plotly map, the worker table, a worker's track with its stays,
 * coverage over a period, the street's alerts with acknowledgement.  Replay lives in replay.js (GP.street.replay),
 * the side panels in panels.js (GP.street.panels); GP.street is the state S below.
 *
 * Data: the page config (GP.core.config("street")), the street APIs (/api/v1/patrol, /tracks, /coverage, /alerts)
 * and the street's Socket.IO room (snapshot, positions, alerts, visits, ack: names from cfg.contract) through
 * GP.core.live, which reconnects, refetches what a gap missed (refetch below) and rolls S.today at local midnight.
 * No Plotly restyle per push: positions only mark the canvas dirty; one draw per animation frame at most.
 */
GP.define("street", ["core", "core.live", "street.panels", "street.replay"], function (GP) {
  "use strict";
  var core = GP.core, api = core.fetchJson, R = GP.street.replay;
  var COLORS = { online: "#ff3b30", stale: "#ffb020", offline: "#5d6b80", sos: "#ff2bd6" };
  var S = {
    workers: new Map(),   // id → live row (snapshot fields) + {name, home}
    figures: new Map(),   // id → today's patrol/visit figures (/api/v1/patrol rows, then ``visits`` pushes)
    alerts: [],           // newest first: {id, kind, w, name, grid, ts, message, ack}
    selected: null, track: null, renders: 0, messages: 0, sortKey: "name", sortDir: 1, period: "today",
    link: null, cfg: null, view: null, today: null  // today: the local day the screen shows ("YYYY-MM-DD")
  };
  var cfg, L, canvas, ctx2d, gd, dirty = false, tableDirty = true;

  // -- projection: Web Mercator world coordinates (0..1) and the map's current view (GP.core) ----------------------
  function project(lon, lat) {
    if (cfg.gcj02) { var p = core.wgs84ToGcj02(lon, lat); lon = p[0]; lat = p[1]; }
    return [core.mercX(lon), core.mercY(lat)];
  }
  // {cx, cy, scale, w, h, …}: pixel = (world - c) * scale + size / 2
  function currentView() { return core.mapView(core.plotMap(gd), canvas.clientWidth, canvas.clientHeight); }
  S.project = project;
  S.currentView = currentView;

  function q(params) {
    var p = new URLSearchParams(params);
    return p.toString();
  }

  // -- canvas -----------------------------------------------------------------------------------------------------
  function sizeCanvas() {
    var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    ctx2d.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
  function markDirty() { if (!dirty) { dirty = true; window.requestAnimationFrame(draw); } }
  S.markDirty = markDirty;

  function draw() {
    dirty = false;
    if (R.active) return; // the replay owns the canvas while it runs
    var v = currentView();
    if (!v) return;
    sizeCanvas();
    ctx2d.clearRect(0, 0, v.w, v.h);
    if (S.track) drawTrack(v, S.track);
    var sel = null;
    S.workers.forEach(function (w) {
      if (w.lon == null || w.lat == null) return;
      var p = w._p || (w._p = project(w.lon, w.lat));
      var x = (p[0] - v.cx) * v.scale + v.w / 2, y = (p[1] - v.cy) * v.scale + v.h / 2;
      if (x < -10 || y < -10 || x > v.w + 10 || y > v.h + 10) return;
      if (w.id === S.selected) { sel = [x, y, w]; return; }
      ctx2d.beginPath();
      ctx2d.arc(x, y, w.status === "online" && w.moving ? 5 : 4, 0, 2 * Math.PI);
      ctx2d.fillStyle = w.sos ? COLORS.sos : (COLORS[w.status] || COLORS.offline);
      ctx2d.fill();
    });
    if (sel) {
      ctx2d.beginPath(); ctx2d.arc(sel[0], sel[1], 11, 0, 2 * Math.PI);
      ctx2d.strokeStyle = "#ffffff"; ctx2d.lineWidth = 2.5; ctx2d.stroke();
      ctx2d.beginPath(); ctx2d.arc(sel[0], sel[1], 6, 0, 2 * Math.PI);
      ctx2d.fillStyle = COLORS[sel[2].status] || COLORS.offline; ctx2d.fill();
      ctx2d.font = "bold 13px sans-serif"; ctx2d.fillStyle = "#fff";
      ctx2d.fillText(sel[2].name || sel[2].id, sel[0] + 14, sel[1] + 4);
    }
    S.renders += 1;
  }

  function drawTrack(v, tr) {
    var px = tr.px, py = tr.py, n = px.length;
    if (!n) return;
    ctx2d.beginPath();
    for (var i = 0; i < n; i++) {
      var x = (px[i] - v.cx) * v.scale + v.w / 2, y = (py[i] - v.cy) * v.scale + v.h / 2;
      if (i === 0 || tr.t[i] - tr.t[i - 1] > 300) ctx2d.moveTo(x, y); else ctx2d.lineTo(x, y);
    }
    ctx2d.strokeStyle = "rgba(63, 208, 255, 0.9)"; ctx2d.lineWidth = 2; ctx2d.stroke();
    tr.stays.forEach(function (s) {
      var x = (s.px - v.cx) * v.scale + v.w / 2, y = (s.py - v.cy) * v.scale + v.h / 2;
      var r = 5 + Math.min(10, Math.sqrt((s.end - s.start) / 60));
      ctx2d.beginPath(); ctx2d.arc(x, y, r, 0, 2 * Math.PI);
      ctx2d.fillStyle = s.own ? "rgba(255, 176, 32, 0.75)" : "rgba(255, 176, 32, 0.15)";
      ctx2d.fill(); ctx2d.strokeStyle = "#ffb020"; ctx2d.lineWidth = 1.5; ctx2d.stroke();
    });
  }

  // decode one worker of /api/v1/tracks into typed arrays of world coordinates.  Mercator y is linear in the
  // latitude to a few millionths across a street: one multiply per fix instead of a sin and a log.
  var lin = null;
  function linear() {
    if (lin) return lin;
    var b = cfg.bounds, lat0 = (b[1] + b[3]) / 2;
    lin = { lat0: lat0, y0: core.mercY(lat0), ky: 1 / (360 * Math.cos(lat0 * Math.PI / 180)) };
    return lin;
  }
  function decodeWorker(w, origin) {
    var n = w.x.length, t = new Float64Array(n), px = new Float64Array(n), py = new Float64Array(n);
    var tt = 0, xx = 0, yy = 0, li = linear(), gcj = cfg.gcj02, i, r = 0, left = 0, step = 0;
    for (i = 0; i < n; i++) {
      if (left === 0) { step = w.t[r]; left = w.t[r + 1]; r += 2; } // t: run-length pairs [delta, count]
      tt += step; left--;
      xx += w.x[i]; yy += w.y[i];
      t[i] = tt;
      if (gcj) {
        var g = core.wgs84ToGcj02(xx / 1e5, yy / 1e5);
        px[i] = core.mercX(g[0]); py[i] = core.mercY(g[1]);
      } else {
        px[i] = (xx / 1e5 + 180) / 360; py[i] = li.y0 - (yy / 1e5 - li.lat0) * li.ky;
      }
    }
    var stays = w.stays.map(function (s) {
      var p = project(s[2] / 1e5, s[3] / 1e5);
      return { start: s[0], end: s[1], px: p[0], py: p[1], own: s[4] };
    });
    return { id: w.id, name: w.name, home: w.home, origin: origin, t: t, px: px, py: py, stays: stays };
  }
  S.decodeWorker = decodeWorker;

  function selectWorker(id) {
    S.selected = id === S.selected ? null : id;
    S.track = null;
    tableDirty = true;
    renderTable();
    var info = document.getElementById("street-track-info");
    if (!S.selected) { info.hidden = true; markDirty(); return; }
    return loadTrack(id);
  }
  function loadTrack(id) {
    var info = document.getElementById("street-track-info");
    return api("/api/v1/tracks?" + q({ street: cfg.street, date: S.today, worker: id })).then(function (body) {
      if (S.selected !== id || !body.workers.length) return;
      var tr = decodeWorker(body.workers[0], body.origin);
      S.track = tr;
      var mins = tr.stays.reduce(function (a, s) { return a + (s.end - s.start) / 60; }, 0);
      var own = tr.stays.filter(function (s) { return s.own; }).reduce(function (a, s) { return a + (s.end - s.start) / 60; }, 0);
      info.textContent = "";
      info.append(core.el("b", null, (tr.name || id) + " · " + L.track_of),
                  core.el("span", null, " " + tr.t.length + " " + L.fixes + " · " + tr.stays.length + " " + L.stays +
                          " · " + Math.round(own) + "/" + Math.round(mins) + " " + L.min));
      info.hidden = false;
      markDirty();
      return P.loadAttributes(id, info);
    }, function (err) { core.failed(info, "street: track of " + id + " on " + S.today, err); info.hidden = false; });
  }
  S.selectWorker = selectWorker;

  // -- live -------------------------------------------------------------------------------------------------------
  function onSnapshot(msg) {
    S.workers = new Map();
    core.rows(msg).forEach(function (w) { S.workers.set(w.id, w); });
    touch();
  }
  function onPositions(msg) {
    core.rows(msg).forEach(function (u) {
      var cur = S.workers.get(u.id);
      if (!cur) { S.workers.set(u.id, u); return; }
      if (u.ts != null && cur.ts != null && u.ts < cur.ts) return; // a late fix never moves a dot back
      for (var k in u) if (u[k] !== undefined) cur[k] = u[k];
      cur._p = null;
    });
    touch();
  }
  function touch() { S.messages += 1; tableDirty = true; markDirty(); }

  function onVisits(msg) {
    if ((msg.street && msg.street !== cfg.street) || (msg.date && msg.date !== S.today)) return;
    core.rows(msg).forEach(function (r) {
      var cur = S.figures.get(r.id) || {};
      for (var k in r) cur[k] = r[k];
      S.figures.set(r.id, cur);
    });
    tableDirty = true; renderKpis();
  }

  function loadPatrol() {
    var day = S.today;
    return api("/api/v1/patrol?" + q({ street: cfg.street, date: day })).then(function (body) {
      if (day !== S.today) return;  // midnight passed while it was read
      core.loaded("street-workers");
      body.workers.forEach(function (w) { S.figures.set(w.id, w); });
      S.grids = body.grids;
      tableDirty = true; renderKpis(); recolourGrids(body.grids);
    }, function (err) { core.failed("street-workers", "street: patrol figures of " + day, err); });
  }

  function recolourGrids(grids) {
    if (!gd || !gd.data || !window.Plotly) return;
    var minutes = {};
    grids.forEach(function (g) { if (g.visited) minutes[g.grid] = g.minutes; });
    var cov = [], red = [], max = 1;
    cfg.grids.forEach(function (code) {
      if (code in minutes) { cov.push(minutes[code]); red.push(NaN); max = Math.max(max, minutes[code]); }
      else { cov.push(NaN); red.push(1); }
    });
    var ic = gd.data.findIndex(function (t) { return t.uid === "coverage"; });
    var iu = gd.data.findIndex(function (t) { return t.uid === "unvisited"; });
    if (ic < 0 || iu < 0) return;
    window.Plotly.restyle(gd, { z: [cov, red], zmax: [max, 1] }, [ic, iu]);
  }

  function renderKpis() {
    var online = 0, moving = 0, visitMin = 0, onTarget = 0;
    S.workers.forEach(function (w) { if (w.status === "online") { online++; if (w.moving) moving++; } });
    S.figures.forEach(function (f) {
      visitMin += f.visit_minutes_home || 0;
      if ((f.visit_minutes_home || 0) >= cfg.target_min) onTarget++;
    });
    var visited = (S.grids || []).filter(function (g) { return g.visited && cfg.grids.indexOf(g.grid) >= 0; }).length;
    core.setText("street-k-online", online + " / " + cfg.workers.length);
    core.setText("street-k-moving", String(moving));
    core.setText("street-k-visit_hours", (visitMin / 60).toFixed(1));
    core.setText("street-k-on_target", onTarget + " / " + cfg.workers.length);
    core.setText("street-k-grids", visited + " / " + cfg.grids.length);
  }

  // -- worker table -----------------------------------------------------------------------------------------------
  function ageText(ts) {
    if (ts == null) return L.never;
    var s = Date.now() / 1000 - ts;
    if (s < 90) return Math.max(0, Math.round(s)) + L.ago_s;
    if (s < 5400) return Math.round(s / 60) + L.ago_m;
    return (s / 3600).toFixed(1) + L.ago_h;
  }
  function rowsForTable() {
    var alertsBy = {};
    S.alerts.forEach(function (a) {
      var c = alertsBy[a.w] || (alertsBy[a.w] = [0, 0]);
      c[1]++; if (!a.ack) c[0]++;
    });
    return cfg.workers.map(function (w) {
      var live = S.workers.get(w[0]) || {}, f = S.figures.get(w[0]) || {}, al = alertsBy[w[0]] || [0, 0];
      return { id: w[0], name: w[1], home: w[2], status: live.status || "offline", moving: !!live.moving,
               outside: !!live.outside, ts: live.ts, grid: live.grid, own_min: f.patrol_minutes_home || 0,
               visit_min: f.visit_minutes_home || 0, dist: f.distance_m || 0, alerts: al };
    });
  }
  var SORTERS = {
    name: function (r) { return r.name; }, home: function (r) { return r.home; },
    status: function (r) { return { online: 0, stale: 1, offline: 2 }[r.status] + (r.moving ? 0 : 0.5); },
    age: function (r) { return r.ts == null ? Infinity : -r.ts; }, own_min: function (r) { return r.own_min; },
    visit_h: function (r) { return r.visit_min; }, dist: function (r) { return r.dist; },
    alerts: function (r) { return r.alerts[0] * 1000 + r.alerts[1]; }
  };
  function renderTable() {
    if (!tableDirty) return;
    tableDirty = false;
    var rows = rowsForTable(), key = SORTERS[S.sortKey] || SORTERS.name, dir = S.sortDir;
    rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.id < b.id ? -1 : 1); });
    var body = document.querySelector("#street-workers tbody");
    if (!body) return;
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = core.el("tr", "gp-wrow" + (r.id === S.selected ? " gp-wrow--sel" : ""));
      tr.setAttribute("data-worker", r.id);
      var st = L[r.status] + (r.status === "online" ? " · " + (r.moving ? L.moving : L.still) : "") + (r.outside ? " · " + L.outside : "");
      var target = cfg.target_min, pct = Math.min(100, 100 * r.visit_min / target);
      var cells = [
        core.el("td", "gp-wname", r.name), core.el("td", "gp-num gp-muted", r.home.slice(-6)),
        core.el("td", "gp-st gp-st--" + r.status, st), core.el("td", "gp-num", ageText(r.ts)),
        core.el("td", "gp-num", Math.round(r.own_min) + ""),
        null, core.el("td", "gp-num", (r.dist / 1000).toFixed(1) + L.km),
        core.el("td", "gp-num" + (r.alerts[0] ? " gp-red" : ""), r.alerts[0] + "/" + r.alerts[1])
      ];
      var vis = core.el("td", "gp-visit" + (r.visit_min >= target ? " gp-visit--ok" : ""));
      var bar = core.el("span", "gp-vbar"), fill = core.el("span", "gp-vfill");
      fill.style.width = pct.toFixed(0) + "%"; bar.appendChild(fill);
      vis.append(bar, core.el("span", "gp-vtext", (r.visit_min / 60).toFixed(1) + "/" + (target / 60).toFixed(0) + L.h));
      cells[5] = vis;
      cells.forEach(function (c) { tr.appendChild(c); });
      frag.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(frag);
    document.querySelectorAll("#street-workers th[data-sort]").forEach(function (th) {
      th.classList.toggle("gp-sorted", th.getAttribute("data-sort") === S.sortKey);
      th.setAttribute("data-dir", S.sortKey === th.getAttribute("data-sort") ? (S.sortDir > 0 ? "asc" : "desc") : "");
    });
  }
  S.renderTable = function () { tableDirty = true; renderTable(); };

  S.tableChanged = function () { tableDirty = true; };

  // -- wiring -----------------------------------------------------------------------------------------------------
  // After a reconnect: what the gap's pushes would have brought; at midnight: the new day's figures, alerts, track.
  function refetch(why) {
    var jobs = [loadPatrol(), P.loadAlerts(), P.loadCoverage(S.period)];
    if (S.selected) jobs.push(loadTrack(S.selected));
    return Promise.all(jobs);
  }
  function newDay(day, was) {
    S.today = day;
    S.figures = new Map(); S.grids = []; S.alerts = []; S.track = null;
    tableDirty = true; markDirty();
    var input = document.getElementById("replay-date");  // the replay's day follows unless someone picked another
    if (input && input.value === was && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("replay-date", { value: day });
    }
  }

  var P = null; // the panels (panels.js): coverage and alerts

  function bind() {
    document.querySelector("#street-workers thead").addEventListener("click", function (e) {
      var th = e.target.closest("th[data-sort]");
      if (!th || e.target.closest(".gp-info")) return;
      var key = th.getAttribute("data-sort");
      S.sortDir = S.sortKey === key ? -S.sortDir : 1;
      S.sortKey = key;
      tableDirty = true; renderTable();
    });
    document.querySelector("#street-workers tbody").addEventListener("click", function (e) {
      var tr = e.target.closest("tr[data-worker]");
      if (tr) selectWorker(tr.getAttribute("data-worker"));
    });
    document.getElementById("street-periods").addEventListener("click", function (e) {
      var b = e.target.closest("[data-period]");
      if (b) P.loadCoverage(b.getAttribute("data-period"));
    });
    document.getElementById("street-alerts").addEventListener("click", function (e) {
      var b = e.target.closest("[data-ack]");
      if (b) { b.disabled = true; P.ack(b.getAttribute("data-ack")).catch(function () { b.disabled = false; }); }
    });
  }

  function hookMap() {
    gd = document.querySelector("#street-map .js-plotly-plot");
    var pm = core.plotMap(gd), m = pm && pm.map;
    if (!gd || !m) return false;
    m.on("move", function () {
      if (R.active) R.markDirty(); else markDirty();
    });
    window.addEventListener("resize", markDirty);
    return true;
  }

  function start() {
    cfg = S.cfg = core.config("street");
    if (!cfg) return;
    L = cfg.labels;
    canvas = document.getElementById("street-canvas");
    ctx2d = canvas.getContext("2d");
    S.today = core.localDay(Date.now());
    P = GP.street.panels.create(S);
    bind();
    (function waitMap() { if (!hookMap()) { window.setTimeout(waitMap, 100); return; } markDirty(); loadPatrol(); })();
    P.loadAlerts();
    P.loadCoverage("today");
    S.link = core.live(cfg, { handlers: { snapshot: onSnapshot, positions: onPositions, alerts: P.onAlerts,
                                          visits: onVisits, ack: P.onAck },
                              street: cfg.street, badge: "street-conn", refetch: refetch, onDay: newDay });
    S.timer = window.setInterval(function () {
      if (R.playing) return; // leave the frames to the replay
      tableDirty = true; renderTable(); renderKpis();
    }, 1000);
    S.slow = window.setInterval(function () { loadPatrol(); }, 60000);
    R.init(S);
  }

  document.addEventListener("gp:screen-leave", function (e) {
    if (e.detail !== "street") return;
    if (S.link) S.link.close();
    S.link = null;
    window.clearInterval(S.timer); window.clearInterval(S.slow);
    R.stop();
  });
  document.addEventListener("gp:screen-enter", function (e) { if (e.detail === "street") start(); });
  start();
  return S;
});

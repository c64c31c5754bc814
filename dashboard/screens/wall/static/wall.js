/* The wall screen's browser code: Socket.IO pushes → typed arrays → canvas overlay; counters, feed, heat.
 *
 * No Dash server callback runs per update. A positions push merges its rows into typed arrays (O(rows)) and asks for
 * one redraw of the dots canvas on the next animation frame; counters are recomputed in the same pass and written only
 * when they change. Hover text is built only for the dot under the mouse. Tickets (heat, feed, new-ticket marks) come
 * from the `tickets` event and from the 15 s ticket-panel refresh (store "open").
 *
 * The parts, each its own file: workers.js (typed arrays, counters), draw.js (canvases), feed.js (tickets, alerts,
 * acks), hover.js, overlay.js and heat.js. They share the state S below. GP.wall = {stats, onStore, toggleHeat, debug}.
 */
GP.define("wall", ["core", "core.live", "wall.workers", "wall.draw", "wall.feed", "wall.hover", "wall.overlay"], function (GP) {
  "use strict";
  var SCREEN = "wall";
  var core = GP.core, WK = GP.wall.workers;

  // stats.at: performance.now() of the page's milestones (start, connect, snapshot, first dots), for the bench
  var stats = { updates: 0, rows: 0, draws: 0, mergeMs: 0, drawMs: 0, lastDrawMs: 0, ticketEvents: 0, at: {} };
  var S = {
    cfg: null, L: null, els: {}, ov: null, gd: null, remPx: 16, heatOn: true, stats: stats,
    W: null,                  // workers in typed arrays (workers.js)
    tickets: new Map(),       // id → {id, no, lon, lat, mx, my, light, grid, street, category, state}
    acked: new Set(),         // alert ids acknowledged on a street screen (contract's alert_id)
    up: false, downAt: null,  // the socket is up; when it last dropped (epoch s, this browser's clock)
    ask: ask, draw: null
  };
  var feed = null, link = null, started = false, pending = {};
  var dirty = { dots: false, heat: false }, frame = 0, heatTimer = 0;
  var api = { stats: stats };

  function onSnapshot(msg) {
    var t0 = performance.now(), rows = msg.rows || [];
    if (!stats.at.snapshot) stats.at.snapshot = t0;
    S.W = WK.newWorkers(Math.max(64, rows.length * 2));
    var at = WK.positionsOf(msg.f || []);
    for (var r = 0; r < rows.length; r++) WK.mergeRow(S, rows[r], at, true);
    stats.mergeMs += performance.now() - t0;
    ask("dots");
  }

  function onPositions(msg) {
    if (!S.W) return;
    var t0 = performance.now(), rows = msg.rows || [], at = WK.positionsOf(msg.f || []);
    for (var r = 0; r < rows.length; r++) WK.mergeRow(S, rows[r], at, false);
    stats.updates += 1; stats.rows += rows.length;
    stats.mergeMs += performance.now() - t0;
    ask("dots");
  }

  function ask(what) {
    dirty[what] = true;
    if (what === "heat") {  // tickets arrive in bursts: one heat redraw for a burst
      if (!heatTimer) heatTimer = window.setTimeout(function () { heatTimer = 0; drawHeat(); }, 250);
      return;
    }
    if (!frame) frame = window.requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    if (!dirty.dots) return;
    WK.countAll(S);  // the counters do not wait for the map
    if (!S.ov || !S.ov.ready()) return;  // startMap() asks again once the map is there
    dirty.dots = false;
    S.draw.dots();
  }

  function drawHeat() {
    dirty.heat = false;
    S.draw.heat();
  }

  api.onStore = function (name, data) {
    if (!started) { pending[name] = data; return; }
    if (name === "open") feed.onOpenStore(data); else if (name === "patrol") WK.onPatrolStore(S, data);
  };

  api.toggleHeat = function (n) {
    S.heatOn = !(n % 2);
    if (!started) return;
    var b = document.getElementById("wall-heat-toggle"), L = S.L;
    if (b) { b.textContent = S.heatOn ? L.heat_on : L.heat_off; b.className = "gp-toggle" + (S.heatOn ? " gp-toggle--on" : ""); }
    S.els.heat.style.display = S.heatOn ? "" : "none";
    ask("heat");
  };

  // ---- the map's view ------------------------------------------------------------------------------------------
  // Centre and zoom that fit the scope into the map as it really is (the server's figure guesses a size). Moved on
  // the MapLibre map itself: a Plotly.relayout here would race Plotly's own responsive resize ("source exists").
  function fit() {
    var cfg = S.cfg, b = cfg.bounds, w = S.els.map.clientWidth, h = S.els.map.clientHeight;
    if (!b || !cfg.fit || !w || !h || !S.ov.ready()) return;
    var sw = [b[0], b[1]], ne = [b[2], b[3]];
    if (cfg.gcj02) { sw = core.wgs84ToGcj02(sw[0], sw[1]); ne = core.wgs84ToGcj02(ne[0], ne[1]); }
    S.ov.map.jumpTo(core.fitView([sw[0], sw[1], ne[0], ne[1]], w, h));
  }

  // The socket's state (GP.core.live writes the badge): milestones for the bench, the page's look without a token.
  function status(kind, st) {
    if (kind === "ok" && !stats.at.connect) stats.at.connect = performance.now();
    stats.connects = st.connects;
    if (kind === "auth") document.body.classList.add("gp-unauthorized");
    if (kind === "ok") S.up = true;
    else if (S.up) { S.up = false; S.downAt = Date.now() / 1000; }  // where a gap began, if no ticket event says
  }

  // After a reconnect (or at local midnight): the alerts and acknowledgements the gap's pushes would have brought,
  // and the ticket and coverage panels at once (the server reads its own today); after a reconnect also the gap's
  // ticket events (feed and heat).
  function refetch(why, day) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("wall-kick", { data: { why: why, day: day, at: Date.now() } });
    }
    var alerts = feed.refetch(day);
    return why === "reconnect" ? Promise.all([alerts, feed.refetchTickets(S.downAt)]) : alerts;
  }

  function byId(id) { return document.getElementById(id); }

  // Two phases: the page (config, counters, feed, socket) starts as soon as its elements exist, so the snapshot is
  // already in when the map is; the map phase (overlay, fit, hover) waits for Plotly to have made the MapLibre map.
  function start() {
    var cfg = S.cfg = core.config(SCREEN);
    if (!cfg || !cfg.labels || !window.io || !byId("wall-map")) {
      window.setTimeout(start, 50);
      return;
    }
    S.L = cfg.labels;
    stats.at.start = performance.now();
    S.remPx = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || 16;
    var els = S.els = {
      map: byId("wall-map"), heat: byId("wall-heat"), dots: byId("wall-dots"), pulse: byId("wall-pulse"),
      tip: byId("wall-tip"), feed: byId("wall-feed"), conn: byId("wall-conn"), openCount: byId("wall-open-count"),
      unread: byId("wall-unread"), total: byId("wall-n-total"), grids: byId("wall-n-grids"),
      covGrids: byId("wall-cov-grids"), covGridsN: byId("wall-cov-grids-n"),
      covHours: byId("wall-cov-hours"), covHoursN: byId("wall-cov-hours-n"),
      counters: {}, streetRows: {},
    };
    ["shift", "online", "moving", "stale", "offline", "outside", "idle", "sos"].forEach(function (k) {
      els.counters[k] = byId("wall-n-" + k);
    });
    document.querySelectorAll("#wall-streets tr[data-street]").forEach(function (tr) {
      els.streetRows[tr.getAttribute("data-street")] = { online: tr.querySelector(".gp-st-online"),
        roster: tr.querySelector(".gp-st-roster"), visited: tr.querySelector(".gp-st-visited") };
    });
    core.setText(els.grids, String(Object.keys(cfg.grid_worker || {}).length));
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("wall-view", { data: { rem: S.remPx } });
    }
    S.W = S.W || WK.newWorkers(64);
    S.draw = GP.wall.draw.create(S);
    feed = GP.wall.feed.create(S);
    started = true;
    var stores = pending;
    pending = {};
    Object.keys(stores).forEach(function (k) { api.onStore(k, stores[k]); });
    feed.opened(cfg.feed || []);
    link = core.live(cfg, { handlers: { snapshot: onSnapshot, positions: onPositions, alerts: feed.onAlerts,
                                        tickets: feed.onTickets, ack: feed.onAck },
                            street: cfg.street, badge: els.conn, onStatus: status, refetch: refetch });
    core.tickClocks();
    startMap();
  }

  function startMap() {
    var gd = S.gd = document.querySelector("#wall-map-graph .js-plotly-plot"), pm = core.plotMap(gd);
    if (!pm || !pm.map || !window.Plotly) {
      window.setTimeout(startMap, 50);
      return;
    }
    stats.at.map = performance.now();
    var els = S.els;
    S.ov = GP.wall.overlay.create(els.map, gd, { heat: els.heat, dots: els.dots, pulse: els.pulse });
    S.ov.onMove(function () {
      S.remPx = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || S.remPx;
      if (S.W) S.draw.dots();
      drawHeat();
    });
    fit();
    // Until someone pans or zooms, keep the scope fitted to the map's real size (window resize, 4K, late layout).
    var userMoved = false, fitTimer = 0;
    ["mousedown", "wheel", "touchstart"].forEach(function (ev) {
      els.map.addEventListener(ev, function () { userMoved = true; }, { passive: true });
    });
    if (window.ResizeObserver) {
      var lastSize = "";
      new ResizeObserver(function () {
        var size = gd.clientWidth + "x" + gd.clientHeight;
        if (size !== lastSize && !userMoved) {
          lastSize = size;
          window.clearTimeout(fitTimer);
          fitTimer = window.setTimeout(fit, 300);
        }
      }).observe(els.map);
    }
    GP.wall.hover.wire(S);
    ask("dots");
    ask("heat");
  }

  document.addEventListener("gp:screen-leave", function (e) {
    if (e.detail !== SCREEN) return;
    if (link) link.close();
    link = null;
  });

  // Read-only views for tests and benches.
  api.debug = function () {
    var W = S.W, els = S.els, dots = {};
    if (W) for (var i = 0; i < W.n; i++) {
      if (W.flags[i] & WK.F.POS) dots[W.ids[i]] = [W.lon[i], W.lat[i], WK.ST_NAME[W.status[i]], !!(W.flags[i] & WK.F.SOS)];
    }
    var socket = link && link.socket();
    return { workers: W ? W.n : 0, dots: dots, tickets: Array.from(S.tickets.values()), socket: !!(socket && socket.connected),
             link: link ? link.state() : null,
             unread: els.unread ? +els.unread.textContent : null, acked: Array.from(S.acked),
             feed: Array.from(els.feed ? els.feed.children : []).map(function (li) { return li.textContent; }) };
  };
  // Where a worker's dot is drawn, in pixels of the map element (null: no dot or no view yet).
  api.dotPx = function (id) {
    var W = S.W, i = W ? W.index.get(id) : undefined, v = S.ov && S.ov.view();
    if (i === undefined || !v || !(W.flags[i] & WK.F.POS)) return null;
    return S.ov.px(v, W.mx[i], W.my[i], W.lon[i], W.lat[i]);
  };

  start();
  return api;
});

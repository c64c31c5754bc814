/* The wall's workers in typed arrays, and the counters and coverage figures read from them.
 *
 * GP.wall.workers: newWorkers(cap), positionsOf(fields), mergeRow(S, row, at, full), countAll(S), onPatrolStore(S, p)
 * with S the wall's state (wall.js): S.W the workers, S.cfg, S.els. Status codes and flag bits are exported too.
 */
GP.define("wall.workers", ["core"], function (GP) {
  "use strict";
  var core = GP.core;
  var ST = { offline: 0, online: 1, stale: 2 }, ST_NAME = ["offline", "online", "stale"];
  var F = { MOVING: 1, IDLE: 2, OUTSIDE: 4, SOS: 8, POS: 16 };
  var FIELDS = ["id", "name", "lon", "lat", "status", "moving", "grid", "street", "ts", "outside", "sos", "spd", "bat", "idle"];

  function newWorkers(cap) {
    return { index: new Map(), n: 0, cap: cap, ids: [], names: [], grid: [], street: [],
             mx: new Float64Array(cap), my: new Float64Array(cap), lon: new Float64Array(cap), lat: new Float64Array(cap),
             ts: new Float64Array(cap), spd: new Float32Array(cap), bat: new Float32Array(cap),
             status: new Uint8Array(cap), flags: new Uint8Array(cap) };
  }

  function grow(w) {
    var bigger = newWorkers(w.cap * 2);
    ["mx", "my", "lon", "lat", "ts", "spd", "bat", "status", "flags"].forEach(function (k) { bigger[k].set(w[k]); });
    ["index", "n", "ids", "names", "grid", "street"].forEach(function (k) { bigger[k] = w[k]; });
    return bigger;
  }

  function slotOf(S, id) {
    var W = S.W, i = W.index.get(id);
    if (i !== undefined) return i;
    if (W.n === W.cap) W = S.W = grow(W);
    i = W.n++;
    W.index.set(id, i);
    W.ids[i] = id; W.names[i] = id; W.grid[i] = null; W.street[i] = null;
    W.ts[i] = NaN; W.spd[i] = NaN; W.bat[i] = NaN; W.status[i] = 0; W.flags[i] = 0;
    return i;
  }

  // One row (array) with its field positions `at` → the worker's slot. Older fixes never move a dot back.
  function mergeRow(S, row, at, full) {
    var i = slotOf(S, row[at.id]), W = S.W;
    var ts = at.ts >= 0 ? row[at.ts] : null;
    if (!full && ts != null && W.ts[i] === W.ts[i] && ts < W.ts[i]) return;
    if (at.name >= 0 && row[at.name] != null) W.names[i] = row[at.name];
    if (at.grid >= 0) W.grid[i] = row[at.grid];
    if (at.street >= 0 && row[at.street] != null) W.street[i] = row[at.street];
    if (ts != null) W.ts[i] = ts;
    if (at.status >= 0) W.status[i] = ST[row[at.status]] || 0;
    var f = W.flags[i];
    if (at.moving >= 0) f = row[at.moving] ? f | F.MOVING : f & ~F.MOVING;
    if (at.idle >= 0) f = row[at.idle] ? f | F.IDLE : f & ~F.IDLE;
    if (at.outside >= 0) f = row[at.outside] ? f | F.OUTSIDE : f & ~F.OUTSIDE;
    if (at.sos >= 0) f = row[at.sos] ? f | F.SOS : f & ~F.SOS;
    if (at.spd >= 0 && row[at.spd] != null) W.spd[i] = row[at.spd];
    if (at.bat >= 0 && row[at.bat] != null) W.bat[i] = row[at.bat];
    var lon = row[at.lon], lat = row[at.lat];
    if (lon != null && lat != null) {
      if (S.cfg.gcj02) { var g = core.wgs84ToGcj02(lon, lat); lon = g[0]; lat = g[1]; }
      W.lon[i] = lon; W.lat[i] = lat; W.mx[i] = core.mercX(lon); W.my[i] = core.mercY(lat);
      f |= F.POS;
    }
    W.flags[i] = f;
  }

  function positionsOf(fields) {
    var at = {};
    FIELDS.forEach(function (k) { at[k] = fields.indexOf(k); });
    return at;
  }

  // The unix time the shift began: today's shift_start in the page's zone, or yesterday's before it.
  function shiftStart(S, nowS) {
    var hm = (S.cfg.shift_start || "08:30").split(":");
    var day = Math.floor((nowS + core.offsetS(nowS)) / 86400) * 86400, at = day + (+hm[0]) * 3600 + (+hm[1]) * 60;
    var start = core.fromLocal(at);
    return start > nowS ? core.fromLocal(at - 86400) : start;
  }

  function countAll(S) {
    var W = S.W, els = S.els;
    var n = { shift: 0, online: 0, moving: 0, stale: 0, offline: 0, outside: 0, idle: 0, sos: 0 };
    var perStreet = {}, since = shiftStart(S, Date.now() / 1000);
    for (var i = 0; i < W.n; i++) {
      var s = W.status[i], f = W.flags[i], st = W.street[i];
      var ps = perStreet[st] || (perStreet[st] = [0, 0]);
      ps[1] += 1;
      if (s === 1) { n.online += 1; ps[0] += 1; if (f & F.MOVING) n.moving += 1; if (f & F.IDLE) n.idle += 1; }
      else if (s === 2) n.stale += 1; else n.offline += 1;
      if (s !== 0 && (f & F.OUTSIDE)) n.outside += 1;
      if (s !== 0 && (f & F.SOS)) n.sos += 1;
      if (W.ts[i] >= since) n.shift += 1;
    }
    for (var k in n) core.setText(els.counters[k], String(n[k]));
    core.setText(els.total, String(W.n));
    var rows = els.streetRows;
    for (var code in rows) {
      var c = perStreet[code] || [0, 0];
      core.setText(rows[code].online, String(c[0]));
      core.setText(rows[code].roster, String(c[1]));
    }
  }

  // Coverage (store "patrol").
  function onPatrolStore(S, p) {
    if (!p) return;
    var els = S.els, en = S.cfg.lang === "en";
    core.setText(els.covGrids, p.grids ? (100 * p.visited / p.grids).toFixed(1) + "%" : "—");
    core.setText(els.covGridsN, p.visited + " / " + p.grids);
    core.setText(els.covHours, String(p.hours_home));
    core.setText(els.covHoursN, (en ? "worker-hours · " : "人·小时 · ") + p.workers + (en ? " workers" : " 名网格员"));
    core.setText(els.grids, String(p.grids));
    var rows = els.streetRows;
    for (var code in rows) {
      var s = (p.streets || {})[code];
      core.setText(rows[code].visited, s && s[1] ? Math.round(100 * s[0] / s[1]) + "%" : "—");
    }
  }

  return { ST: ST, ST_NAME: ST_NAME, F: F, newWorkers: newWorkers, positionsOf: positionsOf, mergeRow: mergeRow,
           countAll: countAll, onPatrolStore: onPatrolStore };
});

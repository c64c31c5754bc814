/* The wall screen's browser code: Socket.IO pushes → typed arrays → canvas overlay; counters, feed, heat.
 *
 * No Dash server callback runs per update. A positions push merges its rows into typed arrays (O(rows)) and asks for
 * one redraw of the dots canvas on the next animation frame; counters are recomputed in the same pass and written only
 * when they change. Hover text is built only for the dot under the mouse. Tickets (heat, feed, new-ticket marks) come
 * from the `tickets` event and from the 15 s ticket-panel refresh (store "open").
 */
(function () {
  "use strict";
  var SCREEN = "wall";
  var core = window.gpCore, OV = window.gpOverlay;
  var ST = { offline: 0, online: 1, stale: 2 }, ST_NAME = ["offline", "online", "stale"];
  var F_MOVING = 1, F_IDLE = 2, F_OUTSIDE = 4, F_SOS = 8, F_POS = 16;
  var COLORS = { offline: "#5d6b80", stale: "#ffb020", online: "#ff3b30", moving: "#ff6a5f", sos: "#ff2bd6" };
  var LIGHT_WEIGHT = { red: 3, yellow: 2, green: 1 };
  var MAX_FEED = 40, PULSE_MS = 4000, RECENT_MS = 60000;

  var cfg, L, ov, socket, gd, els = {};
  var W = null;                 // workers in typed arrays (see newWorkers)
  var tickets = new Map();      // id → {id, no, lon, lat, mx, my, light, grid, street, category, state}
  var recent = [];              // ticket events of the last minute, re-applied over an older "open" refresh
  var acked = new Set();        // alert ids acknowledged on a street screen (contract's alert_id)
  var pulses = [];              // new-ticket marks being animated
  var hoverGrid = null, mouse = null, heatOn = true, started = false;
  var dirty = { dots: false, heat: false }, frame = 0, heatTimer = 0, remPx = 16;
  // stats.at: performance.now() of the page's milestones (start, connect, snapshot, first dots), for the bench
  var stats = { updates: 0, rows: 0, draws: 0, mergeMs: 0, drawMs: 0, lastDrawMs: 0, ticketEvents: 0, at: {} };
  var api = { stats: stats };
  window.gpWall = api;

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

  function slotOf(id) {
    var i = W.index.get(id);
    if (i !== undefined) return i;
    if (W.n === W.cap) W = grow(W);
    i = W.n++;
    W.index.set(id, i);
    W.ids[i] = id; W.names[i] = id; W.grid[i] = null; W.street[i] = null;
    W.ts[i] = NaN; W.spd[i] = NaN; W.bat[i] = NaN; W.status[i] = 0; W.flags[i] = 0;
    return i;
  }

  // One row (array) with its field positions `at` → the worker's slot. Older fixes never move a dot back.
  function mergeRow(row, at, full) {
    var i = slotOf(row[at.id]);
    var ts = at.ts >= 0 ? row[at.ts] : null;
    if (!full && ts != null && W.ts[i] === W.ts[i] && ts < W.ts[i]) return;
    if (at.name >= 0 && row[at.name] != null) W.names[i] = row[at.name];
    if (at.grid >= 0) W.grid[i] = row[at.grid];
    if (at.street >= 0 && row[at.street] != null) W.street[i] = row[at.street];
    if (ts != null) W.ts[i] = ts;
    if (at.status >= 0) W.status[i] = ST[row[at.status]] || 0;
    var f = W.flags[i];
    if (at.moving >= 0) f = row[at.moving] ? f | F_MOVING : f & ~F_MOVING;
    if (at.idle >= 0) f = row[at.idle] ? f | F_IDLE : f & ~F_IDLE;
    if (at.outside >= 0) f = row[at.outside] ? f | F_OUTSIDE : f & ~F_OUTSIDE;
    if (at.sos >= 0) f = row[at.sos] ? f | F_SOS : f & ~F_SOS;
    if (at.spd >= 0 && row[at.spd] != null) W.spd[i] = row[at.spd];
    if (at.bat >= 0 && row[at.bat] != null) W.bat[i] = row[at.bat];
    var lon = row[at.lon], lat = row[at.lat];
    if (lon != null && lat != null) {
      if (cfg.gcj02) { var g = core.wgs84ToGcj02(lon, lat); lon = g[0]; lat = g[1]; }
      W.lon[i] = lon; W.lat[i] = lat; W.mx[i] = OV.mercX(lon); W.my[i] = OV.mercY(lat);
      f |= F_POS;
    }
    W.flags[i] = f;
  }

  function positionsOf(fields) {
    var at = {};
    ["id", "name", "lon", "lat", "status", "moving", "grid", "street", "ts", "outside", "sos", "spd", "bat", "idle"]
      .forEach(function (k) { at[k] = fields.indexOf(k); });
    return at;
  }

  function onSnapshot(msg) {
    var t0 = performance.now(), rows = msg.rows || [];
    if (!stats.at.snapshot) stats.at.snapshot = t0;
    W = newWorkers(Math.max(64, rows.length * 2));
    var at = positionsOf(msg.f || []);
    for (var r = 0; r < rows.length; r++) mergeRow(rows[r], at, true);
    stats.mergeMs += performance.now() - t0;
    ask("dots");
  }

  function onPositions(msg) {
    if (!W) return;
    var t0 = performance.now(), rows = msg.rows || [], at = positionsOf(msg.f || []);
    for (var r = 0; r < rows.length; r++) mergeRow(rows[r], at, false);
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
    countAll();  // the counters do not wait for the map
    if (!ov || !ov.ready()) return;  // startMap() asks again once the map is there
    dirty.dots = false;
    drawDots();
  }

  // ---- drawing ------------------------------------------------------------------------------------------------
  function drawDots() {
    var t0 = performance.now(), v = ov.view();
    if (!v || !W) return;
    var g = els.dots.getContext("2d");
    g.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
    g.clearRect(0, 0, v.w, v.h);
    var r = remPx * 0.2, rMove = remPx * 0.26, rSos = remPx * 0.5;
    // Five passes, one fill each: offline, stale, online still, online moving, SOS on top.
    pass(g, v, r * 0.9, COLORS.offline, function (s, f) { return s === 0 && !(f & F_SOS); });
    pass(g, v, r, COLORS.stale, function (s, f) { return s === 2 && !(f & F_SOS); });
    pass(g, v, r, COLORS.online, function (s, f) { return s === 1 && !(f & (F_MOVING | F_SOS)); });
    pass(g, v, rMove, COLORS.moving, function (s, f) { return s === 1 && (f & F_MOVING) && !(f & F_SOS); });
    pass(g, v, rSos, COLORS.sos, function (s, f) { return s !== 0 && (f & F_SOS); });
    drawLabels(g, v);
    stats.draws += 1;
    if (!stats.at.dots && W.n) stats.at.dots = performance.now();
    stats.lastDrawMs = performance.now() - t0;
    stats.drawMs += stats.lastDrawMs;
  }

  function pass(g, v, r, color, test) {
    g.beginPath();
    var any = false, pad = r + 2;
    for (var i = 0; i < W.n; i++) {
      var f = W.flags[i];
      if (!(f & F_POS) || !test(W.status[i], f)) continue;
      var p = ov.px(v, W.mx[i], W.my[i], W.lon[i], W.lat[i]), x = p[0], y = p[1];
      if (x < -pad || y < -pad || x > v.w + pad || y > v.h + pad) continue;
      g.moveTo(x + r, y);
      g.arc(x, y, r, 0, 6.283185307179586);
      any = true;
    }
    if (any) { g.fillStyle = color; g.fill(); }
  }

  function drawLabels(g, v) {
    var labels = cfg.street_labels || [];
    if (!labels.length) return;
    g.font = "bold " + Math.round(remPx * 0.95) + "px 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";
    g.textAlign = "center"; g.textBaseline = "middle";
    g.lineWidth = Math.max(2, remPx * 0.22); g.strokeStyle = "rgba(4, 11, 22, 0.9)"; g.fillStyle = "rgba(190, 236, 255, 0.92)";
    for (var k = 0; k < labels.length; k++) {
      var l = labels[k], lon = l[0], lat = l[1];
      if (cfg.gcj02) { var q = core.wgs84ToGcj02(lon, lat); lon = q[0]; lat = q[1]; }
      var p = ov.px(v, OV.mercX(lon), OV.mercY(lat), lon, lat);
      g.strokeText(l[2], p[0], p[1]);
      g.fillText(l[2], p[0], p[1]);
    }
  }

  function drawHeat() {
    dirty.heat = false;
    core.setText(els.openCount, String(tickets.size));
    if (!ov || !ov.ready()) return;
    var v = ov.view(), pts = [];
    if (heatOn) {
      tickets.forEach(function (t) {
        var p = ov.px(v, t.mx, t.my, t.lon, t.lat);
        pts.push([p[0], p[1], LIGHT_WEIGHT[t.light] || 0.5]);
      });
    }
    window.gpHeat.draw(els.heat, pts, { radius: remPx * 0.75, blur: remPx * 0.85, max: 3, alpha: 0.4 });
  }

  function drawPulses(now) {
    var v = ov && ov.view();
    var g = els.pulse.getContext("2d");
    if (!v) return;
    g.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
    g.clearRect(0, 0, v.w, v.h);
    pulses = pulses.filter(function (p) { return now - p.t0 < PULSE_MS; });
    for (var i = 0; i < pulses.length; i++) {
      var p = pulses[i], k = (now - p.t0) / PULSE_MS, xy = ov.px(v, p.mx, p.my, p.lon, p.lat);
      for (var ring = 0; ring < 2; ring++) {
        var kk = (k * 2 + ring * 0.5) % 1;
        g.beginPath();
        g.arc(xy[0], xy[1], remPx * (0.4 + 2.2 * kk), 0, 6.283185307179586);
        g.strokeStyle = "rgba(63, 208, 255, " + (1 - kk).toFixed(2) + ")";
        g.lineWidth = remPx * 0.18;
        g.stroke();
      }
      g.beginPath(); g.arc(xy[0], xy[1], remPx * 0.3, 0, 6.283185307179586); g.fillStyle = "#3fd0ff"; g.fill();
    }
    if (pulses.length) window.requestAnimationFrame(drawPulses);
  }

  // ---- counters -----------------------------------------------------------------------------------------------
  function shiftStart(nowS) {
    var hm = (cfg.shift_start || "08:30").split(":"), off = 8 * 3600;
    var day = Math.floor((nowS + off) / 86400) * 86400 - off, start = day + (+hm[0]) * 3600 + (+hm[1]) * 60;
    return start > nowS ? start - 86400 : start;
  }

  function countAll() {
    var n = { shift: 0, online: 0, moving: 0, stale: 0, offline: 0, outside: 0, idle: 0, sos: 0 };
    var perStreet = {}, since = shiftStart(Date.now() / 1000);
    for (var i = 0; i < W.n; i++) {
      var s = W.status[i], f = W.flags[i], st = W.street[i];
      var ps = perStreet[st] || (perStreet[st] = [0, 0]);
      ps[1] += 1;
      if (s === 1) { n.online += 1; ps[0] += 1; if (f & F_MOVING) n.moving += 1; if (f & F_IDLE) n.idle += 1; }
      else if (s === 2) n.stale += 1; else n.offline += 1;
      if (s !== 0 && (f & F_OUTSIDE)) n.outside += 1;
      if (s !== 0 && (f & F_SOS)) n.sos += 1;
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

  // ---- tickets and feed ---------------------------------------------------------------------------------------
  function putTicket(t) {
    if (t.lon == null || t.lat == null) return;
    var lon = t.lon, lat = t.lat;
    if (cfg.gcj02) { var g = core.wgs84ToGcj02(lon, lat); lon = g[0]; lat = g[1]; }
    t.lon = lon; t.lat = lat; t.mx = OV.mercX(lon); t.my = OV.mercY(lat);
    tickets.set(t.id, t);
  }

  function onTickets(msg) {
    var list = core.rows(msg), now = Date.now();
    for (var i = 0; i < list.length; i++) {
      var e = list[i];
      stats.ticketEvents += 1;
      recent.push({ at: now, e: e });
      applyTicket(e);
      if (e.event === "report" && e.open && e.lon != null) {
        var lon = e.lon, lat = e.lat;
        if (cfg.gcj02) { var g = core.wgs84ToGcj02(lon, lat); lon = g[0]; lat = g[1]; }
        pulses.push({ t0: performance.now(), lon: lon, lat: lat, mx: OV.mercX(lon), my: OV.mercY(lat) });
        if (pulses.length === 1) window.requestAnimationFrame(drawPulses);
      }
      feed("ticket", e.event, e.ts, ticketText(e), e.event === "report" || e.overdue);
    }
    while (recent.length && now - recent[0].at > RECENT_MS) recent.shift();
    ask("heat");
  }

  function applyTicket(e) {
    if (e.open) putTicket({ id: e.id, no: e.no, lon: e.lon, lat: e.lat, light: e.light, grid: e.grid, street: e.street,
                           category: e.category, state: e.state });
    else tickets.delete(e.id);
  }

  function ticketText(e) {
    var cat = (cfg.categories || {})[e.category] || e.category || "";
    var street = (cfg.streets || {})[e.street] || e.street || "";
    var no = String(e.no || "");
    return cat + " · " + street + (no ? " · №" + no.slice(-6) : "");
  }

  function onOpenStore(data) {
    if (!data || !data.rows) return;
    var at = {};
    (data.f || []).forEach(function (k, i) { at[k] = i; });
    tickets = new Map();
    for (var r = 0; r < data.rows.length; r++) {
      var row = data.rows[r];
      putTicket({ id: row[at.id], no: row[at.no], lon: row[at.lon], lat: row[at.lat], light: row[at.light],
                  grid: row[at.grid], street: row[at.street], category: row[at.category], state: row[at.state] });
    }
    // Events that happened after the refresh was read still count.
    var asOf = data.t || 0;
    for (var k = 0; k < recent.length; k++) if (recent[k].e.ts * 1000 > asOf) applyTicket(recent[k].e);
    ask("heat");
  }

  function onAlerts(list) {
    (Array.isArray(list) ? list : [list]).forEach(function (a) {
      var who = (a.name || a.w || "") + (a.grid ? " · " + a.grid : "");
      feed("alert", a.kind, a.ts, who, a.kind === "sos", alertId(a));
    });
    countUnread();
  }

  // The contract's alert id: kind:w:ts with ts to 3 decimals (streams.contract.alert_id).
  function alertId(a) { return a.kind + ":" + a.w + ":" + Number(a.ts || 0).toFixed(3); }

  function onAck(msg) {
    (msg && msg.ids || []).forEach(function (id) { acked.add(id); });
    markAcked();
  }

  function markAcked() {
    if (!els.feed) return;
    els.feed.querySelectorAll("li[data-alert-id]").forEach(function (li) {
      if (acked.has(li.getAttribute("data-alert-id"))) li.classList.add("gp-ev--acked");
    });
    countUnread();
  }

  function countUnread() {
    if (!els.feed) return;
    var n = 0;
    els.feed.querySelectorAll("li[data-alert-id]").forEach(function (li) {
      if (!acked.has(li.getAttribute("data-alert-id"))) n += 1;
    });
    core.setText(els.unread, String(n));
  }

  // Which of the alerts the page opened with were acknowledged before it opened (the page cookie authenticates).
  function loadAcks(ids) {
    if (!ids.length || !window.fetch) return;
    window.fetch("/api/v1/alerts/acks?ids=" + encodeURIComponent(ids.join(",")), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { acks: {} }; })
      .then(function (body) { Object.keys(body.acks || {}).forEach(function (id) { acked.add(id); }); markAcked(); })
      .catch(function () {});
  }

  function feed(kind, what, ts, text, flash, alertKey) {
    var ol = els.feed;
    if (!ol) return;
    var label = kind === "alert" ? (L.alert[what] || what) : (L.ticket[what] || what);
    var li = core.el("li", "gp-ev gp-ev--" + (kind === "alert" ? (what === "sos" || what === "back_online" ? what : "alert") : what) +
      (flash ? " gp-ev--new" : ""));
    li.setAttribute("data-kind", kind);
    li.setAttribute("data-event", what || "");
    if (alertKey) {
      li.setAttribute("data-alert-id", alertKey);
      if (acked.has(alertKey)) li.classList.add("gp-ev--acked");
    }
    li.append(core.el("time", null, core.fmtTime(ts)), core.el("b", null, label), core.el("span", null, text));
    ol.insertBefore(li, ol.firstChild);
    while (ol.children.length > MAX_FEED) ol.removeChild(ol.lastChild);
  }

  // ---- coverage (store "patrol") --------------------------------------------------------------------------------
  function onPatrolStore(p) {
    if (!p) return;
    core.setText(els.covGrids, p.grids ? (100 * p.visited / p.grids).toFixed(1) + "%" : "—");
    core.setText(els.covGridsN, p.visited + " / " + p.grids);
    core.setText(els.covHours, String(p.hours_home));
    core.setText(els.covHoursN, (cfg.lang === "en" ? "worker-hours · " : "人·小时 · ") + p.workers +
      (cfg.lang === "en" ? " workers" : " 名网格员"));
    core.setText(els.grids, String(p.grids));
    var rows = els.streetRows;
    for (var code in rows) {
      var s = (p.streets || {})[code];
      core.setText(rows[code].visited, s && s[1] ? Math.round(100 * s[0] / s[1]) + "%" : "—");
    }
  }

  api.onStore = function (name, data) {
    if (!started) { (window.gpWallPending = window.gpWallPending || {})[name] = data; return; }
    if (name === "open") onOpenStore(data); else if (name === "patrol") onPatrolStore(data);
  };

  api.toggleHeat = function (n) {
    heatOn = !(n % 2);
    if (!started) return;
    var b = document.getElementById("wall-heat-toggle");
    if (b) { b.textContent = heatOn ? L.heat_on : L.heat_off; b.className = "gp-toggle" + (heatOn ? " gp-toggle--on" : ""); }
    els.heat.style.display = heatOn ? "" : "none";
    ask("heat");
  };

  // ---- hover --------------------------------------------------------------------------------------------------
  function nearestDot(x, y, maxPx) {
    var v = ov.view();
    if (!v || !W) return -1;
    var best = -1, bestD = maxPx * maxPx;
    for (var i = 0; i < W.n; i++) {
      if (!(W.flags[i] & F_POS)) continue;
      var p = ov.px(v, W.mx[i], W.my[i], W.lon[i], W.lat[i]), dx = p[0] - x, dy = p[1] - y, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  function workerLines(i) {
    var s = ST_NAME[W.status[i]], f = W.flags[i], st = L.status[s] || s;
    if (s === "online") st += " · " + (f & F_MOVING ? L.moving : (f & F_IDLE ? L.idle : L.still));
    if (f & F_OUTSIDE) st += " · " + L.outside;
    if (f & F_SOS) st += " · " + L.sos;
    var lines = ["<b>" + esc(W.names[i]) + "</b> " + esc(W.ids[i]), st, L.grid + " " + esc(W.grid[i] || "—"),
                 L.last_fix + " " + core.fmtTime(W.ts[i] === W.ts[i] ? W.ts[i] : null)];
    if (W.spd[i] === W.spd[i]) lines.push(L.speed + " " + W.spd[i].toFixed(1) + " km/h");
    if (W.bat[i] === W.bat[i]) lines.push(L.battery + " " + Math.round(W.bat[i]) + "%");
    return lines;
  }

  function gridLines(code) {
    var lines = ["<b>" + L.grid + " " + esc(code) + "</b>"], who = (cfg.grid_worker || {})[code];
    if (who) {
      var i = W ? W.index.get(who[0]) : undefined;
      var st = i === undefined ? L.status.offline : (L.status[ST_NAME[W.status[i]]] || "");
      lines.push(L.worker + " " + esc(who[1]) + " (" + esc(who[0]) + ") · " + st);
    } else lines.push(L.worker + " " + L.no_worker);
    var n = { red: 0, yellow: 0, green: 0, none: 0 }, total = 0;
    tickets.forEach(function (t) { if (t.grid === code) { total += 1; n[t.light || "none"] += 1; } });
    lines.push(L.open_tickets + " " + total + (total ? " (🔴" + n.red + " 🟡" + n.yellow + " 🟢" + n.green + ")" : ""));
    return lines;
  }

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  function showTip() {
    var tip = els.tip;
    if (!mouse) { tip.hidden = true; return; }
    var i = nearestDot(mouse.x, mouse.y, remPx * 0.7), lines = null;
    if (i >= 0) lines = workerLines(i); else if (hoverGrid) lines = gridLines(hoverGrid);
    if (!lines) { tip.hidden = true; return; }
    tip.innerHTML = lines.join("<br>");
    tip.hidden = false;
    var w = els.map.clientWidth, h = els.map.clientHeight;
    var x = mouse.x + 14, y = mouse.y + 14;
    if (x + tip.offsetWidth > w) x = mouse.x - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > h) y = mouse.y - tip.offsetHeight - 14;
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }

  function wireHover() {
    var pending = 0;
    els.map.addEventListener("mousemove", function (ev) {
      var r = els.map.getBoundingClientRect();
      mouse = { x: ev.clientX - r.left, y: ev.clientY - r.top };
      if (!pending) pending = window.requestAnimationFrame(function () { pending = 0; showTip(); });
    });
    els.map.addEventListener("mouseleave", function () { mouse = null; hoverGrid = null; showTip(); });
    if (gd.on) {
      gd.on("plotly_hover", function (e) {
        var p = e && e.points && e.points[0];
        hoverGrid = p && p.location ? p.location : null;
        showTip();
      });
      gd.on("plotly_unhover", function () { hoverGrid = null; showTip(); });
    }
  }

  // ---- the map's view ------------------------------------------------------------------------------------------
  // Centre and zoom that fit the scope into the map as it really is (the server's figure guesses a size). Moved on
  // the MapLibre map itself: a Plotly.relayout here would race Plotly's own responsive resize ("source exists").
  function fit() {
    var b = cfg.bounds, w = els.map.clientWidth, h = els.map.clientHeight;
    if (!b || !cfg.fit || !w || !h || !ov.ready()) return;
    var sw = [b[0], b[1]], ne = [b[2], b[3]];
    if (cfg.gcj02) { sw = core.wgs84ToGcj02(sw[0], sw[1]); ne = core.wgs84ToGcj02(ne[0], ne[1]); }
    var merc = function (lat) { return Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360)); };
    var y0 = merc(sw[1]), y1 = merc(ne[1]);
    var zx = Math.log2(360 * w / (512 * Math.max(ne[0] - sw[0], 1e-6)));
    var zy = Math.log2(2 * Math.PI * h / (512 * Math.max(y1 - y0, 1e-9)));
    var lat = Math.atan(Math.sinh((y0 + y1) / 2)) * 180 / Math.PI;
    ov.map.jumpTo({ center: [(sw[0] + ne[0]) / 2, lat], zoom: Math.round((Math.min(zx, zy) - 0.12) * 100) / 100 });
  }

  function status(kind) {
    if (kind === "ok" && !stats.at.connect) stats.at.connect = performance.now();
    var el = els.conn;
    if (!el) return;
    el.textContent = L.conn[kind] || kind;
    el.className = "gp-conn gp-conn--" + (kind === "auth" ? "error" : kind);
    if (kind === "auth") document.body.classList.add("gp-unauthorized");
  }

  // Two phases: the page (config, counters, feed, socket) starts as soon as its elements exist, so the snapshot is
  // already in when the map is; the map phase (overlay, fit, hover) waits for Plotly to have made the MapLibre map.
  function start() {
    cfg = core.config(SCREEN);
    if (!cfg || !cfg.labels || !window.io || !document.getElementById("wall-map")) {
      window.setTimeout(start, 50);
      return;
    }
    L = cfg.labels;
    stats.at.start = performance.now();
    remPx = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || 16;
    els = {
      map: document.getElementById("wall-map"), heat: document.getElementById("wall-heat"),
      dots: document.getElementById("wall-dots"), pulse: document.getElementById("wall-pulse"),
      tip: document.getElementById("wall-tip"), feed: document.getElementById("wall-feed"),
      conn: document.getElementById("wall-conn"), openCount: document.getElementById("wall-open-count"),
      unread: document.getElementById("wall-unread"),
      total: document.getElementById("wall-n-total"), grids: document.getElementById("wall-n-grids"),
      covGrids: document.getElementById("wall-cov-grids"), covGridsN: document.getElementById("wall-cov-grids-n"),
      covHours: document.getElementById("wall-cov-hours"), covHoursN: document.getElementById("wall-cov-hours-n"),
      counters: {}, streetRows: {},
    };
    ["shift", "online", "moving", "stale", "offline", "outside", "idle", "sos"].forEach(function (k) {
      els.counters[k] = document.getElementById("wall-n-" + k);
    });
    document.querySelectorAll("#wall-streets tr[data-street]").forEach(function (tr) {
      els.streetRows[tr.getAttribute("data-street")] = { online: tr.querySelector(".gp-st-online"),
        roster: tr.querySelector(".gp-st-roster"), visited: tr.querySelector(".gp-st-visited") };
    });
    core.setText(els.grids, String(Object.keys(cfg.grid_worker || {}).length));
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("wall-view", { data: { rem: remPx } });
    }
    W = W || newWorkers(64);
    started = true;
    var pending = window.gpWallPending || {};
    window.gpWallPending = null;
    Object.keys(pending).forEach(function (k) { api.onStore(k, pending[k]); });
    var openedWith = [];
    (cfg.feed || []).slice().reverse().forEach(function (x) {
      if (x.kind === "alert") {
        var id = alertId({ kind: x.what, w: x.w, ts: x.ts });
        openedWith.push(id);
        feed("alert", x.what, x.ts, (x.name || "") + (x.grid ? " · " + x.grid : ""), false, id);
      } else feed("ticket", x.what, x.ts, ticketText(x), false);
    });
    countUnread();
    loadAcks(openedWith);
    socket = core.connect(cfg, { snapshot: onSnapshot, positions: onPositions, alerts: onAlerts, tickets: onTickets,
                                 ack: onAck,
                                 error: function () { status("wait"); } },
                          { street: cfg.street, onStatus: status });
    core.tickClocks();
    startMap();
  }

  function startMap() {
    gd = document.querySelector("#wall-map-graph .js-plotly-plot");
    if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot || !window.Plotly) {
      window.setTimeout(startMap, 50);
      return;
    }
    stats.at.map = performance.now();
    ov = OV.create(els.map, gd, { heat: els.heat, dots: els.dots, pulse: els.pulse });
    ov.onMove(function () {
      remPx = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || remPx;
      if (W) drawDots();
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
    wireHover();
    ask("dots");
    ask("heat");
  }

  document.addEventListener("gp:screen-leave", function (e) {
    if (e.detail !== SCREEN) return;
    if (socket) socket.close();
    socket = null;
  });

  // Read-only views for tests and benches.
  api.debug = function () {
    var dots = {};
    if (W) for (var i = 0; i < W.n; i++) {
      if (W.flags[i] & F_POS) dots[W.ids[i]] = [W.lon[i], W.lat[i], ST_NAME[W.status[i]], !!(W.flags[i] & F_SOS)];
    }
    return { workers: W ? W.n : 0, dots: dots, tickets: Array.from(tickets.values()), socket: !!(socket && socket.connected),
             unread: els.unread ? +els.unread.textContent : null, acked: Array.from(acked),
             feed: Array.from(els.feed ? els.feed.children : []).map(function (li) { return li.textContent; }) };
  };

  start();
})();

/* GridPulse live map: Socket.IO /live → a JS-side map of workers → Plotly.restyle on the dots trace only.
 *
 * No Dash server callback runs per update: counters go through dash_clientside.set_props, the alert feed is
 * plain DOM, and the dots are restyled at most once per animation frame.
 * Messages:
 *   snapshot  {t, street, f: [...fields], rows: [[...], ...]}   every worker in scope (replaces the view)
 *   positions {t, f: ["id","lon","lat","status","moving","grid","ts"], rows}   only what changed
 *   alerts    [{kind, w, name, grid, street, ts, message}, ...]
 */
(function () {
  "use strict";

  var TOKEN_KEY = "gridpulse.token";
  var COLORS = { online: "#ff3b30", stale: "#ffb020", offline: "#5d6b80", sos: "#ff2bd6" };
  var STATUS_ZH = { online: "在线", stale: "信号延迟", offline: "离线" };
  var ALERT_ZH = { outside_grid: "出网格", offline: "离线", back_online: "恢复在线", sos: "SOS" };
  var MAX_ALERTS = 30;
  var WORKERS_UID = "workers";

  var live = {
    workers: new Map(), // id → {id, name, lon, lat, status, moving, grid, street, ts, outside, sos, ...}
    renders: 0,
    messages: 0,
    lastMessageAt: 0,
    connected: false,
    socket: null,
    cfg: null,
    dirty: false,
  };
  window.gridpulseLive = live;

  function readToken() {
    var params = new URLSearchParams(window.location.search);
    var fromUrl = params.get("token");
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
      // Keep the token out of the address bar, screenshots and browser history.
      params.delete("token");
      var rest = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  // WGS-84 → GCJ-02, the published forward formula (same as geo.coords.wgs84_to_gcj02), for GCJ-02 tiles only.
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lon, lat) { return !(lon > 72.004 && lon < 137.8347 && lat > 0.8293 && lat < 55.8271); }
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var dLat = tLat(lon - 105.0, lat - 35.0), dLon = tLon(lon - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI, magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lon + dLon, lat + dLat];
  }
  live.wgs84ToGcj02 = wgs84ToGcj02;

  function rowsToObjects(msg) {
    var f = msg.f || [], out = [];
    (msg.rows || []).forEach(function (row) {
      var o = {};
      for (var i = 0; i < f.length; i++) o[f[i]] = row[i];
      out.push(o);
    });
    return out;
  }

  function merge(update) {
    var cur = live.workers.get(update.id);
    if (!cur) { live.workers.set(update.id, update); return; }
    // A late, out-of-order fix never moves a dot back.
    if (update.ts != null && cur.ts != null && update.ts < cur.ts) return;
    for (var k in update) if (update[k] !== undefined) cur[k] = update[k];
  }

  function onSnapshot(msg) {
    live.workers = new Map();
    rowsToObjects(msg).forEach(function (w) { live.workers.set(w.id, w); });
    var names = (live.cfg && live.cfg.streets) || {};
    setProps("gp-scope", { children: msg.street ? "范围：" + (names[msg.street] || msg.street) : "范围：" + live.cfg.district + "全区" });
    touch();
  }

  function onPositions(msg) { rowsToObjects(msg).forEach(merge); touch(); }

  function touch() {
    live.messages += 1;
    live.lastMessageAt = Date.now();
    if (!live.dirty) { live.dirty = true; window.requestAnimationFrame(render); }
  }

  function fmtTime(ts) {
    if (ts == null) return "—";
    return new Date(ts * 1000).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }

  function graphDiv() { return document.querySelector("#live-map .js-plotly-plot"); }

  // Centre and zoom that fit the district into the map as the screen really is (the server's figure guesses a size).
  // MapLibre's world is 512 px wide at zoom 0; the same formula as dashboard/figures/live_map.py:fit_view.
  function fitDistrict(gd) {
    var b = live.cfg && live.cfg.bounds;
    if (!b || !live.cfg.fit || !gd.clientWidth || !gd.clientHeight) return;
    var sw = [b[0], b[1]], ne = [b[2], b[3]];
    if (live.cfg.gcj02) { sw = wgs84ToGcj02(sw[0], sw[1]); ne = wgs84ToGcj02(ne[0], ne[1]); }
    var merc = function (lat) { return Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360)); };
    var y0 = merc(sw[1]), y1 = merc(ne[1]);
    var zx = Math.log2(360 * gd.clientWidth / (512 * Math.max(ne[0] - sw[0], 1e-6)));
    var zy = Math.log2(2 * Math.PI * gd.clientHeight / (512 * Math.max(y1 - y0, 1e-9)));
    var lat = Math.atan(Math.sinh((y0 + y1) / 2)) * 180 / Math.PI;
    window.Plotly.relayout(gd, { "map.center": { lon: (sw[0] + ne[0]) / 2, lat: lat },
                                 "map.zoom": Math.round((Math.min(zx, zy) - 0.15) * 100) / 100 });
    live.fitted = true;
  }

  function render() {
    var gd = graphDiv();
    if (!gd || !gd.data || !window.Plotly) { window.setTimeout(render, 200); return; }
    live.dirty = false;
    if (!live.fitted) fitDistrict(gd);
    var idx = gd.data.findIndex(function (t) { return t.uid === WORKERS_UID; });
    if (idx < 0) return;
    var lon = [], lat = [], ids = [], text = [], color = [], size = [];
    var n = { online: 0, moving: 0, stale: 0, offline: 0, outside: 0, idle: 0, sos: 0, total: 0 };
    live.workers.forEach(function (w) {
      n.total += 1;
      var status = w.status || "offline";
      n[status] = (n[status] || 0) + 1;
      if (status === "online" && w.moving) n.moving += 1;
      if (status !== "offline" && w.outside) n.outside += 1;
      if (status === "online" && w.idle) n.idle += 1;
      if (status !== "offline" && w.sos) n.sos += 1;
      if (w.lon == null || w.lat == null) return;
      var p = live.cfg && live.cfg.gcj02 ? wgs84ToGcj02(w.lon, w.lat) : [w.lon, w.lat];
      lon.push(p[0]); lat.push(p[1]); ids.push(w.id);
      color.push(w.sos ? COLORS.sos : (COLORS[status] || COLORS.offline));
      size.push(w.sos ? 13 : (status === "online" && w.moving ? 9 : 7));
      text.push("<b>" + (w.name || w.id) + "</b> " + w.id + "<br>" + (STATUS_ZH[status] || status) +
        (status === "online" ? (w.moving ? " · 移动中" : (w.idle ? " · 久未移动" : " · 静止")) : "") + (w.outside ? " · 出网格" : "") +
        "<br>网格 " + (w.grid || "—") + "<br>最近定位 " + fmtTime(w.ts));
    });
    window.Plotly.restyle(gd, {
      lon: [lon], lat: [lat], ids: [ids], text: [text], "marker.color": [color], "marker.size": [size],
    }, [idx]);
    live.renders += 1;
    setProps("gp-n-online", { children: String(n.online) });
    setProps("gp-n-moving", { children: String(n.moving) });
    setProps("gp-n-stale", { children: String(n.stale) });
    setProps("gp-n-offline", { children: String(n.offline) });
    setProps("gp-n-outside", { children: String(n.outside) });
    setProps("gp-n-idle", { children: String(n.idle) });
    setProps("gp-n-sos", { children: String(n.sos) });
    setProps("gp-n-total", { children: String(n.total) });
  }

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, props);
    } else {
      var el = document.getElementById(id);
      if (el && props.children !== undefined) el.textContent = props.children;
    }
  }

  function setConn(text, kind) {
    var el = document.getElementById("gp-conn");
    if (!el) return;
    el.textContent = text;
    el.className = "gp-conn gp-conn--" + kind;
  }

  function onAlerts(list) {
    var ol = document.getElementById("gp-alerts");
    if (!ol) return;
    (Array.isArray(list) ? list : [list]).forEach(function (a) {
      var li = document.createElement("li");
      li.className = "gp-alert gp-alert--" + (a.kind || "other");
      var time = document.createElement("time");
      time.textContent = fmtTime(a.ts);
      var kind = document.createElement("b");
      kind.textContent = ALERT_ZH[a.kind] || a.kind || "告警";
      var body = document.createElement("span");
      body.textContent = " " + (a.name || a.w || "") + " " + (a.message || "");
      li.append(time, " ", kind, body);
      ol.insertBefore(li, ol.firstChild);
    });
    while (ol.children.length > MAX_ALERTS) ol.removeChild(ol.lastChild);
  }

  function tickClock() {
    var now = new Date();
    var tz = { timeZone: "Asia/Shanghai" };
    setText("gp-date", now.toLocaleDateString("zh-CN", Object.assign({ year: "numeric", month: "long", day: "numeric", weekday: "long" }, tz)));
    setText("gp-time", now.toLocaleTimeString("zh-CN", Object.assign({ hour12: false }, tz)));
  }

  function setText(id, text) { var el = document.getElementById(id); if (el) el.textContent = text; }

  function connect() {
    var token = readToken();
    if (!token) {
      var box = document.getElementById("gp-auth");
      if (box) box.hidden = false;
      setConn("未授权", "error");
      return;
    }
    var params = new URLSearchParams(window.location.search);
    var auth = { token: token };
    if (params.get("street")) auth.street = params.get("street");
    var socket = window.io(live.cfg.namespace || "/live", { auth: auth, transports: ["websocket", "polling"] });
    live.socket = socket;
    socket.on("connect", function () { live.connected = true; setConn("实时连接", "ok"); });
    socket.on("disconnect", function () { live.connected = false; setConn("重连中…", "wait"); });
    socket.on("connect_error", function (err) {
      live.connected = false;
      if (err && (err.message === "unauthorized" || err.message === "forbidden")) {
        setConn(err.message === "unauthorized" ? "令牌无效" : "无权访问", "error");
        var box = document.getElementById("gp-auth");
        if (box) box.hidden = false;
        sessionStorage.removeItem(TOKEN_KEY);
      } else {
        setConn("连接失败，重试中…", "wait");
      }
    });
    socket.on("snapshot", onSnapshot);
    socket.on("positions", onPositions);
    socket.on("alerts", onAlerts);
    socket.on("error", function (e) { setConn((e && e.message) || "服务异常", "wait"); });
  }

  function start() {
    var cfgEl = document.getElementById("live-config");
    if (!cfgEl || !window.io) { window.setTimeout(start, 100); return; }
    live.cfg = JSON.parse(cfgEl.getAttribute("data-config") || "{}");
    tickClock();
    window.setInterval(tickClock, 1000);
    connect();
  }

  start();
})();

/* GridPulse browser core: a library for the screens (no side effects of its own beyond the clock tick).
 * window.gpCore = { config, token, connect, rows, fmtTime, fmtDate, wgs84ToGcj02, setText, el }
 * Screen code lives in dashboard/screens/<screen>/static/ and is loaded by screens.js on that screen only.
 */
(function () {
  "use strict";
  var TOKEN_KEY = "gridpulse.token";
  var SHANGHAI_OFFSET_S = 8 * 3600; // Asia/Shanghai has no daylight saving: arithmetic, not Intl, in hot loops

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // "HH:MM:SS" of a unix-seconds time in Beijing time; cheap enough for thousands of calls per second.
  function fmtTime(ts) {
    if (ts == null || !isFinite(ts)) return "—";
    var s = Math.floor(ts + SHANGHAI_OFFSET_S) % 86400;
    if (s < 0) s += 86400;
    return pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }

  var WEEKDAYS = { "zh-CN": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
                   en: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] };
  var MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function fmtDate(ms, lang) {
    var d = new Date(ms + SHANGHAI_OFFSET_S * 1000);
    var y = d.getUTCFullYear(), m = d.getUTCMonth(), day = d.getUTCDate(), wd = d.getUTCDay();
    if (lang === "en") return WEEKDAYS.en[wd] + ", " + day + " " + MONTHS_EN[m] + " " + y;
    return y + "年" + (m + 1) + "月" + day + "日 " + WEEKDAYS["zh-CN"][wd];
  }

  function token() {
    var params = new URLSearchParams(window.location.search);
    var fromUrl = params.get("token");
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
      // Keep the token out of the address bar, screenshots and history (the server keeps an HttpOnly cookie).
      params.delete("token");
      var rest = params.toString();
      window.history.replaceState(window.history.state, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function forgetToken() { sessionStorage.removeItem(TOKEN_KEY); }

  function config(screen) {
    var el = document.getElementById(screen + "-config");
    if (!el) return null;
    if (!el._gpConfig) el._gpConfig = JSON.parse(el.getAttribute("data-config") || "{}");
    return el._gpConfig;
  }

  // A message {f: [...], rows: [[...]]} → array of objects.
  function rows(msg) {
    var f = (msg && msg.f) || [], out = [], list = (msg && msg.rows) || [];
    for (var r = 0; r < list.length; r++) {
      var row = list[r], o = {};
      for (var i = 0; i < f.length; i++) o[f[i]] = row[i];
      out.push(o);
    }
    return out;
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

  function setText(id, text) {
    var el = typeof id === "string" ? document.getElementById(id) : id;
    if (el && el.textContent !== text) el.textContent = text;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  /* Connect to the push namespace with the contract of `cfg` and call handlers[event](data).
   * opts: {street, onStatus(kind, text)}; returns the socket. */
  function connect(cfg, handlers, opts) {
    opts = opts || {};
    var c = cfg.contract, ev = c.events, status = opts.onStatus || function () {};
    var tok = token();
    if (!tok) { status("auth", "unauthorized"); return null; }
    var auth = { token: tok };
    if (opts.street) auth.street = opts.street;
    var socket = window.io(c.namespace, { auth: auth, transports: ["websocket", "polling"] });
    socket.on("connect", function () { status("ok"); });
    socket.on("disconnect", function () { status("wait"); });
    socket.on("connect_error", function (err) {
      var m = err && err.message;
      if (m === "unauthorized" || m === "forbidden") { forgetToken(); status("auth", m); } else status("wait");
    });
    Object.keys(handlers).forEach(function (name) {
      if (ev[name]) socket.on(ev[name], handlers[name]);
    });
    return socket;
  }

  function tickClocks() {
    var now = Date.now(), nodes = document.querySelectorAll("[data-gp-clock]");
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i], lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
      setText(n, n.getAttribute("data-gp-clock") === "date" ? fmtDate(now, lang) : fmtTime(now / 1000));
    }
  }
  window.setInterval(tickClocks, 1000);

  window.gpCore = { config: config, token: token, forgetToken: forgetToken, connect: connect, rows: rows,
                    fmtTime: fmtTime, fmtDate: fmtDate, wgs84ToGcj02: wgs84ToGcj02, setText: setText, el: el,
                    tickClocks: tickClocks };
})();

/* GridPulse browser core: the one namespace (window.GP) and the library every screen shares.
 *
 * GP.define(name, deps, factory)  a module: factory(GP) runs once every name in deps is defined, in whatever order
 *                                 the files arrived; its value is placed at GP.<name> ("wall.heat" → GP.wall.heat).
 * GP.when(name, fn)               fn(module) now if it is defined, else as soon as it is (Dash's clientside bridges).
 * GP.core = { config, token, forgetToken, connect, rows, setText, el, tickClocks,
 *             setZone, zone, offsetS, fromLocal, fmtTime, fmtDate,           the page's time zone (from its config)
 *             localDay, msToNextDay,                                        the local day ("YYYY-MM-DD") and its end
 *             fetch, fetchJson, failed, loaded,                             authenticated requests; a panel that failed
 *             live (gp-live.js)                                             the socket lifecycle of every live screen
 *             alertId,                                                      the push contract's alert id
 *             wgs84ToGcj02, mercX, mercY, unmerc, plotMap, mapView, viewPx, fitView }   map helpers
 * Screen code lives in dashboard/screens/<screen>/static/ and is loaded by screens.js on that screen only.
 */
(function () {
  "use strict";
  var GP = window.GP = window.GP || {};

  // ---- modules ----------------------------------------------------------------------------------------------------
  var defined = {}, waiting = [], listeners = {};

  function lookup(name) {
    var o = GP, parts = name.split(".");
    for (var i = 0; i < parts.length && o; i++) o = o[parts[i]];
    return o;
  }

  // A module's value takes its place; sub-modules defined before it (GP.wall.heat before GP.wall) are carried over.
  function place(name, value) {
    var parts = name.split("."), parent = GP;
    for (var i = 0; i < parts.length - 1; i++) parent = parent[parts[i]] || (parent[parts[i]] = {});
    var key = parts[parts.length - 1], was = parent[key];
    if (value == null) value = was || {};
    if (was && was !== value && typeof was === "object") {
      Object.keys(was).forEach(function (k) { if (!(k in value)) value[k] = was[k]; });
    }
    parent[key] = value;
  }

  function settle() {
    for (var progress = true; progress;) {
      progress = false;
      for (var i = 0; i < waiting.length; i++) {
        var m = waiting[i];
        if (!m.deps.every(function (d) { return defined[d]; })) continue;
        waiting.splice(i, 1);
        progress = true;
        try { place(m.name, m.factory(GP)); } catch (err) { window.console.error("GP module " + m.name, err); continue; }
        defined[m.name] = true;
        (listeners[m.name] || []).splice(0).forEach(function (fn) { fn(lookup(m.name)); });
        break;
      }
    }
  }

  GP.define = function (name, deps, factory) { waiting.push({ name: name, deps: deps || [], factory: factory }); settle(); };
  GP.when = function (name, fn) {
    if (defined[name]) fn(lookup(name)); else (listeners[name] = listeners[name] || []).push(fn);
  };

  // ---- time: the page's zone (page config "timezone"); offsets cached per quarter hour, so no Intl in hot loops ----
  var zoneName = "Asia/Shanghai", zoneFmt = null, offsets = new Map();  // zoneFmt: null = not made yet, false = unknown zone

  function setZone(name) {
    name = name || "Asia/Shanghai";
    if (name === zoneName && zoneFmt !== null) return;
    zoneName = name; offsets = new Map();
    try {
      zoneFmt = new Intl.DateTimeFormat("en-US", { timeZone: name, hourCycle: "h23", year: "numeric", month: "numeric",
                                                   day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    } catch (err) {
      window.console.error("unknown time zone " + name, err);
      zoneFmt = false;
    }
  }

  // Seconds east of UTC in the page's zone at unix time ts (zones change offset on quarter hours at the finest).
  function offsetS(ts) {
    if (zoneFmt === null) setZone(zoneName);
    var q = Math.floor(ts / 900), o = offsets.get(q);
    if (o !== undefined) return o;
    o = 8 * 3600;  // the design's zone, if this browser does not know the configured one
    if (zoneFmt) {
      var ms = q * 900000, v = {};
      zoneFmt.formatToParts(new Date(ms)).forEach(function (p) { v[p.type] = +p.value; });
      o = Math.round((Date.UTC(v.year, v.month - 1, v.day, v.hour % 24, v.minute, v.second) - ms) / 1000);
    }
    offsets.set(q, o);
    return o;
  }

  // Unix time of a local wall-clock time given as seconds since 1970-01-01 00:00 local.
  function fromLocal(localS) { return localS - offsetS(localS - offsetS(localS)); }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // "HH:MM:SS" of a unix-seconds time in the page's zone; cheap enough for thousands of calls per second.
  function fmtTime(ts) {
    if (ts == null || !isFinite(ts)) return "—";
    var s = Math.floor(ts + offsetS(ts)) % 86400;
    if (s < 0) s += 86400;
    return pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }

  var WEEKDAYS = { "zh-CN": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
                   en: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] };
  var MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function fmtDate(ms, lang) {
    var d = new Date(ms + offsetS(ms / 1000) * 1000);
    var y = d.getUTCFullYear(), m = d.getUTCMonth(), day = d.getUTCDate(), wd = d.getUTCDay();
    if (lang === "en") return WEEKDAYS.en[wd] + ", " + day + " " + MONTHS_EN[m] + " " + y;
    return y + "年" + (m + 1) + "月" + day + "日 " + WEEKDAYS["zh-CN"][wd];
  }

  // "YYYY-MM-DD" of unix ms in the page's zone, and the ms from then to the next local midnight.
  function localDay(ms) {
    var d = new Date(ms + offsetS(ms / 1000) * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }
  function msToNextDay(ms) {
    var localS = ms / 1000 + offsetS(ms / 1000);
    return Math.max(0, fromLocal((Math.floor(localS / 86400) + 1) * 86400) * 1000 - ms);
  }

  // ---- page, token, requests ---------------------------------------------------------------------------------------
  var TOKEN_KEY = "gridpulse.token";

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

  /* fetch() with the page's credentials: the session cookie always (same origin), and the page's token as a bearer
   * header unless opts.auth === "cookie" (the photo and street APIs want the header; the wall's display credential
   * is its cookie). opts are fetch's own otherwise; the caller's headers are kept. */
  function authFetch(path, opts) {
    opts = opts || {};
    var init = {}, headers = {};
    Object.keys(opts).forEach(function (k) { if (k !== "auth") init[k] = opts[k]; });
    Object.keys(opts.headers || {}).forEach(function (k) { headers[k] = opts.headers[k]; });
    if (opts.auth !== "cookie") {
      var tok = token();
      if (tok) headers.Authorization = "Bearer " + tok;
    }
    init.headers = headers;
    init.credentials = "same-origin";
    return window.fetch(path, init);
  }

  // authFetch → the JSON body; an error answer rejects with its body (the API's machine-readable error).
  function fetchJson(path, opts) {
    return authFetch(path, opts).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw body; return body; });
    });
  }

  /* A panel that could not load: logged with its context, and marked (data-gp-failed, drawn by base.css as a small
   * amber note) until loaded(el) clears it. Returns nothing: the caller's promise chain ends here. */
  var FAILED = { "zh-CN": "加载失败，稍后重试", en: "Failed to load; retrying later" };
  function failed(el, context, err) {
    window.console.warn("GridPulse: " + context + " failed", err);
    el = typeof el === "string" ? document.getElementById(el) : el;
    if (el) el.setAttribute("data-gp-failed", FAILED[document.documentElement.lang === "en" ? "en" : "zh-CN"]);
  }
  function loaded(el) {
    el = typeof el === "string" ? document.getElementById(el) : el;
    if (el) el.removeAttribute("data-gp-failed");
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

  // The contract's alert id: kind:w:ts with ts to 3 decimals (streams.contract.alert_id).
  function alertId(a) { return a.kind + ":" + a.w + ":" + Number(a.ts || 0).toFixed(3); }

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
   * opts: {street, io (more options for io()), onStatus(kind, detail)} with kind "ok" (connected), "down" (the
   * connection ended; detail = Socket.IO's reason), "failed" (a connection attempt failed; detail = its message) or
   * "auth" (the token was refused: it is forgotten). Returns the socket; GP.core.live owns reconnecting. */
  function connect(cfg, handlers, opts) {
    opts = opts || {};
    var c = cfg.contract, ev = c.events, status = opts.onStatus || function () {};
    var tok = token();
    if (!tok) { status("auth", "unauthorized"); return null; }
    var auth = { token: tok }, options = { auth: auth, transports: ["websocket", "polling"] };
    if (opts.street) auth.street = opts.street;
    Object.keys(opts.io || {}).forEach(function (k) { options[k] = opts.io[k]; });
    var socket = window.io(c.namespace, options);
    socket.on("connect", function () { status("ok"); });
    socket.on("disconnect", function (reason) { status("down", reason); });
    socket.on("connect_error", function (err) {
      var m = err && err.message;
      if (m === "unauthorized" || m === "forbidden") { forgetToken(); status("auth", m); } else status("failed", m);
    });
    Object.keys(handlers).forEach(function (name) {
      if (ev[name]) socket.on(ev[name], handlers[name]);
    });
    return socket;
  }

  // ---- map: GCJ-02, Web Mercator, the map's view ------------------------------------------------------------------
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

  // Web Mercator world coordinates in [0, 1); MapLibre's world is TILE px wide at zoom 0.
  var TILE = 512;
  function mercX(lon) { return (lon + 180) / 360; }
  function mercY(lat) { var s = Math.sin(lat * Math.PI / 180); return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI); }
  function unmerc(mx, my) { return [mx * 360 - 180, Math.atan(Math.sinh(Math.PI * (1 - 2 * my))) * 180 / Math.PI]; }

  /* The one place that reads Plotly's private map state (gd._fullLayout.map): {map, lon, lat, zoom} of a figure's
   * map subplot, map being the MapLibre map Plotly made (null until it exists: then the layout's centre and zoom). */
  function plotMap(gd) {
    var fl = gd && gd._fullLayout && gd._fullLayout.map;
    if (!fl) return null;
    var m = (fl._subplot && fl._subplot.map) || null;
    if (m && m.getCenter) { var c = m.getCenter(); return { map: m, lon: c.lng, lat: c.lat, zoom: m.getZoom() }; }
    return fl.center ? { map: m, lon: fl.center.lon, lat: fl.center.lat, zoom: fl.zoom } : null;
  }

  /* The view of a map (a plotMap answer, or a MapLibre map) on a w × h px element: a world point (mx, my) is at
   * pixel ((mx - cx) * scale + w / 2, (my - cy) * scale + h / 2) unless the map is rotated or pitched. */
  function mapView(pm, w, h) {
    if (!pm) return null;
    if (pm.getCenter) { var c = pm.getCenter(); pm = { map: pm, lon: c.lng, lat: c.lat, zoom: pm.getZoom() }; }
    var m = pm.map;
    return { cx: mercX(pm.lon), cy: mercY(pm.lat), scale: TILE * Math.pow(2, pm.zoom), w: w, h: h,
             dpr: window.devicePixelRatio || 1, zoom: pm.zoom, map: m,
             rotated: !!(m && m.getBearing && (m.getBearing() || m.getPitch())) };
  }

  // Pixel position of a world point in view v (exact for bearing 0 / pitch 0; the map's own projection otherwise).
  function viewPx(v, mx, my, lon, lat) {
    if (v.rotated) { var p = v.map.project([lon, lat]); return [p.x, p.y]; }
    return [(mx - v.cx) * v.scale + v.w / 2, (my - v.cy) * v.scale + v.h / 2];
  }

  // {center: [lon, lat], zoom} that fits bounds [w, s, e, n] (already in the tiles' datum) into w × h px.
  function fitView(b, w, h) {
    var y0 = Math.log(Math.tan(Math.PI / 4 + b[1] * Math.PI / 360)), y1 = Math.log(Math.tan(Math.PI / 4 + b[3] * Math.PI / 360));
    var zx = Math.log2(360 * w / (TILE * Math.max(b[2] - b[0], 1e-6)));
    var zy = Math.log2(2 * Math.PI * h / (TILE * Math.max(y1 - y0, 1e-9)));
    var lat = Math.atan(Math.sinh((y0 + y1) / 2)) * 180 / Math.PI;
    return { center: [(b[0] + b[2]) / 2, lat], zoom: Math.round((Math.min(zx, zy) - 0.12) * 100) / 100 };
  }

  function tickClocks() {
    var now = Date.now(), nodes = document.querySelectorAll("[data-gp-clock]");
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i], lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
      setText(n, n.getAttribute("data-gp-clock") === "date" ? fmtDate(now, lang) : fmtTime(now / 1000));
    }
  }
  window.setInterval(tickClocks, 1000);

  GP.core = { config: config, token: token, forgetToken: forgetToken, connect: connect, rows: rows,
              setText: setText, el: el, tickClocks: tickClocks,
              setZone: setZone, zone: function () { return zoneName; }, offsetS: offsetS, fromLocal: fromLocal,
              fmtTime: fmtTime, fmtDate: fmtDate, localDay: localDay, msToNextDay: msToNextDay,
              fetch: authFetch, fetchJson: fetchJson, failed: failed, loaded: loaded, alertId: alertId,
              wgs84ToGcj02: wgs84ToGcj02, mercX: mercX, mercY: mercY, unmerc: unmerc,
              plotMap: plotMap, mapView: mapView, viewPx: viewPx, fitView: fitView };
  defined.core = true;
})();

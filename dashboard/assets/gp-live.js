/* GP.core.live(cfg, opts): the one socket lifecycle of every screen that has a socket (built on GP.core.connect).
 *
 * A wall runs for weeks; what can happen to its socket, and what this does:
 *   the connection ends (the server stops or says goodbye, the network drops)  reconnect after a backoff (doubling
 *                                                from 1 s, capped at 30 s, with jitter so a restarted server is not hit
 *                                                by every wall at once); the badge counts down "reconnecting in N s"
 *   the browser says it is offline               badge "offline"; reconnect as soon as it is online again
 *   connected again                              the server resends the snapshot; opts.refetch("reconnect", day) reads
 *                                                again what the pushes of the gap would have brought (alerts,
 *                                                acknowledgements, panels)
 *   the snapshot failed (`error`, e.g. Redis down)  badge "live data unavailable"; ask again (subscribe) with backoff
 *   the token is refused                         badge "invalid token"; no retry (a person must act)
 *   local midnight (the page config's zone)      opts.onDay(day, was), then opts.refetch("day", day)
 * Socket.IO's own reconnection is off: after a server-side disconnect ("io server disconnect") it never reconnects,
 * and two retry loops would fight over one badge.
 *
 * opts: {handlers: {snapshot, positions, …} (contract event names), street, badge (element or id),
 *        refetch(why, day) → optional promise, onDay(day, was), onStatus(kind, state)}
 * → {socket(), today(), state(), close()}; state().kind: connecting | ok | retry | offline | unavailable | auth.
 */
GP.define("core.live", ["core"], function (GP) {
  "use strict";
  var core = GP.core;
  var BASE_MS = 1000, CAP_MS = 30000, DAY_CHECK_MS = 60000;
  var TEXT = {
    "zh-CN": { connecting: "连接中…", ok: "实时连接", retry: "{n} 秒后重连", retrying: "重连中…", offline: "网络离线",
               unavailable: "实时数据暂不可用", auth: "令牌无效" },
    en: { connecting: "Connecting…", ok: "Live", retry: "Reconnecting in {n} s", retrying: "Reconnecting…",
          offline: "Offline", unavailable: "Live data unavailable", auth: "Invalid token" }
  };
  var CLASS = { ok: "ok", auth: "error", offline: "error" };

  // The n-th retry's delay: doubling, capped, and drawn from its upper half (jitter).
  function backoffMs(n, baseMs, capMs) {
    var d = Math.min(capMs || CAP_MS, (baseMs || BASE_MS) * Math.pow(2, n));
    return Math.round(d / 2 + Math.random() * d / 2);
  }

  function text(key, n) {
    var t = TEXT[document.documentElement.lang === "en" ? "en" : "zh-CN"];
    return t[key].replace("{n}", n);
  }

  function live(cfg, opts) {
    var ev = cfg.contract.events, st = { kind: "connecting", connects: 0, retries: 0, day: core.localDay(Date.now()) };
    var socket = null, closed = false, attempt = 0, snapAttempt = 0;
    var timers = { retry: 0, tick: 0, snap: 0, day: 0, dayCheck: 0 };

    function show(kind, label) {
      st.kind = kind;
      var el = typeof opts.badge === "string" ? document.getElementById(opts.badge) : opts.badge;
      if (el) {
        core.setText(el, label || text(kind));
        el.className = "gp-conn gp-conn--" + (CLASS[kind] || "wait");
        el.setAttribute("data-state", kind);
      }
      if (opts.onStatus) opts.onStatus(kind, st);
    }

    function run(why) {
      if (!opts.refetch) return;
      try {
        var p = opts.refetch(why, st.day);
        if (p && p.catch) p.catch(function (err) { window.console.warn("GridPulse: refetch after " + why, err); });
      } catch (err) {
        window.console.error("GridPulse: refetch after " + why, err);
      }
    }

    // ---- the connection ----------------------------------------------------------------------------------------
    function onStatus(kind, detail) {
      if (closed) return;
      if (kind === "ok") {
        attempt = 0; stopRetry();
        st.connects += 1;
        show("ok");
        if (st.connects > 1) run("reconnect");
      } else if (kind === "auth") {
        stopRetry(); show("auth");
      } else if (detail !== "io client disconnect") {
        scheduleRetry();
      }
    }

    function stopRetry() {
      window.clearTimeout(timers.retry); window.clearInterval(timers.tick);
      timers.retry = timers.tick = 0;
    }

    function scheduleRetry() {
      if (timers.retry || closed) return;
      window.clearTimeout(timers.snap); timers.snap = 0;
      if (navigator.onLine === false) { show("offline"); return; }  // "online" reconnects at once
      var delay = backoffMs(attempt++), at = Date.now() + delay;
      st.retries += 1;
      var tick = function () { show("retry", text("retry", Math.max(1, Math.ceil((at - Date.now()) / 1000)))); };
      tick();
      timers.tick = window.setInterval(tick, 1000);
      timers.retry = window.setTimeout(reconnectNow, delay);
    }

    function reconnectNow() {
      stopRetry();
      if (closed || !socket || socket.connected) return;
      show("retry", text("retrying"));
      socket.connect();
    }

    function onOnline() { if (socket && !socket.connected) reconnectNow(); }
    function onOffline() { if (!socket || !socket.connected) show("offline"); }

    // ---- the snapshot: a failed one (`error`) is asked for again -------------------------------------------------
    var handlers = {};
    Object.keys(opts.handlers || {}).forEach(function (k) { handlers[k] = opts.handlers[k]; });
    handlers.snapshot = function (msg) {
      snapAttempt = 0; window.clearTimeout(timers.snap); timers.snap = 0;
      if (st.kind === "unavailable") show("ok");
      if (opts.handlers.snapshot) opts.handlers.snapshot(msg);
    };
    handlers.error = function (msg) {
      window.console.warn("GridPulse: live data unavailable", msg);
      show("unavailable");
      if (opts.handlers.error) opts.handlers.error(msg);
      window.clearTimeout(timers.snap);
      timers.snap = window.setTimeout(function () {
        timers.snap = 0;
        if (socket && socket.connected) socket.emit(ev.subscribe, { street: opts.street || null });
      }, backoffMs(snapAttempt++));
    };

    // ---- the local day -------------------------------------------------------------------------------------------
    function checkDay() {
      var d = core.localDay(Date.now());
      if (d === st.day) return;
      var was = st.day;
      st.day = d;
      if (opts.onDay) {
        try { opts.onDay(d, was); } catch (err) { window.console.error("GridPulse: new day " + d, err); }
      }
      run("day");
    }
    function armDay() {
      timers.day = window.setTimeout(function () { checkDay(); armDay(); }, core.msToNextDay(Date.now()) + 1000);
    }

    socket = core.connect(cfg, handlers, { street: opts.street, onStatus: onStatus, io: { reconnection: false } });
    if (socket) show("connecting");
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    armDay();
    // a sleeping laptop or a throttled background tab can miss the midnight timer
    timers.dayCheck = window.setInterval(checkDay, DAY_CHECK_MS);

    return {
      socket: function () { return socket; },
      today: function () { return st.day; },
      state: function () { return { kind: st.kind, connects: st.connects, retries: st.retries, day: st.day }; },
      close: function () {
        closed = true;
        Object.keys(timers).forEach(function (k) { window.clearTimeout(timers[k]); window.clearInterval(timers[k]); });
        window.removeEventListener("online", onOnline);
        window.removeEventListener("offline", onOffline);
        if (socket) socket.close();
        socket = null;
      }
    };
  }

  live.backoffMs = backoffMs;
  return live;
});

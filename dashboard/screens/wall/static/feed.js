/* The wall's tickets and event feed: open tickets (the `tickets` event and the 15 s "open" store), alerts, and
 * which alerts a street screen has acknowledged. A ticket event is known by ticket id, event and time (data-ticket-key),
 * an alert by the contract's alert id (data-alert-id): what a reconnect reads again is shown once.
 *
 * GP.wall.feed.create(S) → {onTickets, onOpenStore, onAlerts, onAck, opened, refetch, refetchTickets} with S the
 * wall's state (wall.js):
 * S.cfg, S.L, S.els, S.tickets, S.stats, S.ask(what), S.draw.pulse(lon, lat).
 */
GP.define("wall.feed", ["core"], function (GP) {
  "use strict";
  var core = GP.core;
  var MAX_FEED = 40, RECENT_MS = 60000;
  var GAP_SLACK_S = 5;       // a gap's ticket events are read from a little before the last one seen

  function create(S) {
    var recent = [];         // ticket events of the last minute, re-applied over an older "open" refresh
    var acked = S.acked;     // alert ids acknowledged on a street screen (contract's alert_id)
    var lastTicketTs = null; // the newest ticket event seen (epoch s, the server's clock): where a gap's reading starts

    function ticketKey(id, event, ts) { return id + ":" + event + ":" + Number(ts || 0).toFixed(3); }

    function inFeed(key) {
      return !!(S.els.feed && S.els.feed.querySelector('li[data-ticket-key="' + key + '"]'));
    }

    function sawTicket(ts) { if (ts != null && (lastTicketTs == null || ts > lastTicketTs)) lastTicketTs = ts; }

    function putTicket(t) {
      if (t.lon == null || t.lat == null) return;
      var lon = t.lon, lat = t.lat;
      if (S.cfg.gcj02) { var g = core.wgs84ToGcj02(lon, lat); lon = g[0]; lat = g[1]; }
      t.lon = lon; t.lat = lat; t.mx = core.mercX(lon); t.my = core.mercY(lat);
      S.tickets.set(t.id, t);
    }

    function onTickets(msg) {
      var list = core.rows(msg), now = Date.now();
      for (var i = 0; i < list.length; i++) {
        var e = list[i];
        S.stats.ticketEvents += 1;
        recent.push({ at: now, e: e });
        applyTicket(e);
        sawTicket(e.ts);
        var key = ticketKey(e.id, e.event, e.ts);
        if (inFeed(key)) continue;  // already read after a reconnect
        if (e.event === "report" && e.open && e.lon != null) {
          var lon = e.lon, lat = e.lat;
          if (S.cfg.gcj02) { var g = core.wgs84ToGcj02(lon, lat); lon = g[0]; lat = g[1]; }
          S.draw.pulse(lon, lat);
        }
        feed("ticket", e.event, e.ts, ticketText(e), e.event === "report" || e.overdue, key);
      }
      while (recent.length && now - recent[0].at > RECENT_MS) recent.shift();
      S.ask("heat");
    }

    function applyTicket(e) {
      if (e.open) putTicket({ id: e.id, no: e.no, lon: e.lon, lat: e.lat, light: e.light, grid: e.grid, street: e.street,
                             category: e.category, state: e.state });
      else S.tickets.delete(e.id);
    }

    function ticketText(e) {
      var cat = (S.cfg.categories || {})[e.category] || e.category || "";
      var street = (S.cfg.streets || {})[e.street] || e.street || "";
      var no = String(e.no || "");
      return cat + " · " + street + (no ? " · №" + no.slice(-6) : "");
    }

    function onOpenStore(data) {
      if (!data || !data.rows) return;
      var at = {};
      (data.f || []).forEach(function (k, i) { at[k] = i; });
      S.tickets = new Map();
      for (var r = 0; r < data.rows.length; r++) {
        var row = data.rows[r];
        putTicket({ id: row[at.id], no: row[at.no], lon: row[at.lon], lat: row[at.lat], light: row[at.light],
                    grid: row[at.grid], street: row[at.street], category: row[at.category], state: row[at.state] });
      }
      // Events that happened after the refresh was read still count.
      var asOf = data.t || 0;
      for (var k = 0; k < recent.length; k++) if (recent[k].e.ts * 1000 > asOf) applyTicket(recent[k].e);
      S.ask("heat");
    }

    function onAlerts(list) {
      (Array.isArray(list) ? list : [list]).forEach(function (a) { onAlert(a, a.kind === "sos"); });
      countUnread();
    }

    function onAlert(a, flash) {
      feed("alert", a.kind, a.ts, (a.name || a.w || "") + (a.grid ? " · " + a.grid : ""), flash, core.alertId(a));
    }

    function onAck(msg) {
      (msg && msg.ids || []).forEach(function (id) { acked.add(id); });
      markAcked();
    }

    function markAcked() {
      if (!S.els.feed) return;
      S.els.feed.querySelectorAll("li[data-alert-id]").forEach(function (li) {
        if (acked.has(li.getAttribute("data-alert-id"))) li.classList.add("gp-ev--acked");
      });
      countUnread();
    }

    function countUnread() {
      if (!S.els.feed) return;
      var n = 0;
      S.els.feed.querySelectorAll("li[data-alert-id]").forEach(function (li) {
        if (!acked.has(li.getAttribute("data-alert-id"))) n += 1;
      });
      core.setText(S.els.unread, String(n));
    }

    // Which alerts were acknowledged (the page cookie authenticates): those the page opened with, and after a gap.
    function loadAcks(ids) {
      if (!ids.length) return Promise.resolve();
      return core.fetchJson("/api/v1/alerts/acks?ids=" + encodeURIComponent(ids.join(",")), { auth: "cookie" })
        .then(function (body) {
          Object.keys(body.acks || {}).forEach(function (id) { acked.add(id); });
          core.loaded(S.els.feed);
          markAcked();
        }, function (err) { core.failed(S.els.feed, "wall: acknowledgements of " + ids.length + " alerts", err); });
    }

    /* After a reconnect: the day's alerts the gap's pushes would have brought, each in its place by time (the feed
     * is newest first), then the acknowledgements of every alert in the feed. */
    function refetch(day) {
      var q = new URLSearchParams({ date: day });
      if (S.cfg.street) q.set("street", S.cfg.street);
      return core.fetchJson("/api/v1/alerts?" + q.toString(), { auth: "cookie" }).then(function (body) {
        core.loaded(S.els.feed);
        (body.alerts || []).slice().reverse().forEach(function (a) {
          if (a.ack) acked.add(a.id);
          if (!S.els.feed.querySelector('li[data-alert-id="' + a.id + '"]')) onAlert(a, false);
        });
        countUnread();
        var ids = Array.from(S.els.feed.querySelectorAll("li[data-alert-id]")).map(function (li) {
          return li.getAttribute("data-alert-id");
        });
        return loadAcks(ids);
      }, function (err) { core.failed(S.els.feed, "wall: alerts of " + day + " after a reconnect", err); });
    }

    /* After a reconnect: the ticket events of the gap (GET /api/v1/tickets/events, rows as the push sends them, each
     * ticket as it is now), from the last one this page saw or, if none, from when the socket dropped (downAt); each
     * into the heat and, unless the feed has it, in its place in the feed, without the new-ticket pulse. */
    function refetchTickets(downAt) {
      var since = lastTicketTs != null ? lastTicketTs : downAt;
      if (since == null) return Promise.resolve();
      var q = new URLSearchParams({ since: String(Math.max(0, since - GAP_SLACK_S)) });
      if (S.cfg.street) q.set("street", S.cfg.street);
      return core.fetchJson("/api/v1/tickets/events?" + q.toString(), { auth: "cookie" }).then(function (body) {
        core.rows(body).forEach(function (e) {
          applyTicket(e);
          sawTicket(e.ts);
          var key = ticketKey(e.id, e.event, e.ts);
          if (!inFeed(key)) feed("ticket", e.event, e.ts, ticketText(e), false, key);
        });
        S.ask("heat");
      }, function (err) { core.failed(S.els.feed, "wall: ticket events after a reconnect", err); });
    }

    // key: the alert's id, or the ticket event's ticketKey
    function feed(kind, what, ts, text, flash, key) {
      var ol = S.els.feed, L = S.L;
      if (!ol) return;
      var label = kind === "alert" ? (L.alert[what] || what) : (L.ticket[what] || what);
      var li = core.el("li", "gp-ev gp-ev--" + (kind === "alert" ? (what === "sos" || what === "back_online" ? what : "alert") : what) +
        (flash ? " gp-ev--new" : ""));
      li.setAttribute("data-kind", kind);
      li.setAttribute("data-event", what || "");
      if (key && kind === "alert") {
        li.setAttribute("data-alert-id", key);
        if (acked.has(key)) li.classList.add("gp-ev--acked");
      } else if (key) li.setAttribute("data-ticket-key", key);
      li.setAttribute("data-ts", String(ts || 0));
      li.append(core.el("time", null, core.fmtTime(ts)), core.el("b", null, label), core.el("span", null, text));
      // newest first: an item read late (after a gap) goes below the newer ones
      var before = ol.firstChild;
      while (before && +before.getAttribute("data-ts") > (ts || 0)) before = before.nextSibling;
      if (!before && ol.children.length >= MAX_FEED) return;
      ol.insertBefore(li, before);
      while (ol.children.length > MAX_FEED) ol.removeChild(ol.lastChild);
    }

    // The feed the page opened with (cfg.feed, newest first), then which of its alerts were acknowledged already.
    function opened(items) {
      var ids = [];
      items.slice().reverse().forEach(function (x) {
        if (x.kind === "alert") {
          var id = core.alertId({ kind: x.what, w: x.w, ts: x.ts });
          ids.push(id);
          feed("alert", x.what, x.ts, (x.name || "") + (x.grid ? " · " + x.grid : ""), false, id);
        } else {
          sawTicket(x.ts);
          feed("ticket", x.what, x.ts, ticketText(x), false, x.id != null ? ticketKey(x.id, x.what, x.ts) : null);
        }
      });
      countUnread();
      loadAcks(ids);
    }

    return { onTickets: onTickets, onOpenStore: onOpenStore, onAlerts: onAlerts, onAck: onAck, opened: opened,
             refetch: refetch, refetchTickets: refetchTickets };
  }

  return { create: create };
});

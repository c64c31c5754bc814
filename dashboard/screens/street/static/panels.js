/* The street screen's side panels: coverage over a period (with its export links) and the street's alerts with
 * acknowledgement, and the shown track's phone attribute changes.
 * GP.street.panels.create(S) → {loadCoverage, loadAlerts, onAlerts, onAck, ack, loadAttributes};
 * street.js owns the state (S) and calls these.  An alert's id is the contract's (GP.core.alertId).
 */
GP.define("street.panels", ["core"], function (GP) {
  "use strict";
  var core = GP.core, api = core.fetchJson;
  function q(params) { return new URLSearchParams(params).toString(); }

  function create(S) {
    var cfg = S.cfg, L = cfg.labels;

    // -- coverage over a period -------------------------------------------------------------------------------------
    function loadCoverage(period) {
      S.period = period;
      document.querySelectorAll("#street-periods .gp-tab").forEach(function (b) {
        b.classList.toggle("gp-tab--on", b.getAttribute("data-period") === period);
      });
      document.querySelectorAll("#street-periods .gp-export").forEach(function (a) {
        a.href = "/api/v1/export/" + a.getAttribute("data-table") + "." + a.getAttribute("data-fmt") + "?" +
          q({ street: cfg.street, period: period, lang: cfg.lang });
      });
      var panel = document.querySelector(".gp-cov-panel");
      return api("/api/v1/coverage?" + q({ street: cfg.street, period: period })).then(function (c) {
        if (period !== S.period) return;  // another period was picked meanwhile
        core.loaded(panel);
        S.coverage = c;
        var names = cfg.grid_names || {};
        var ol = document.getElementById("street-cov-grids");
        ol.textContent = "";
        c.grids.slice().sort(function (a, b) { return a.days_visited - b.days_visited; }).forEach(function (g) {
          var li = core.el("li", g.days_visited ? "" : "gp-red");
          li.append(core.el("span", null, names[g.grid] || g.grid), core.el("b", "gp-num", g.days_visited + "/" + g.days + L.days));
          ol.appendChild(li);
        });
        var miss = document.getElementById("street-cov-missing");
        miss.textContent = "";
        if (!c.not_visited.length) miss.appendChild(core.el("li", "gp-muted", L.none));
        c.not_visited.forEach(function (g) { miss.appendChild(core.el("li", "gp-red", names[g] || g)); });
        var below = document.getElementById("street-cov-below");
        below.textContent = "";
        var rows = c.workers.filter(function (w) { return w.below_target_days > 0; });
        if (!rows.length) below.appendChild(core.el("li", "gp-muted", L.none));
        rows.forEach(function (w) {
          var li = core.el("li");
          li.append(core.el("span", null, w.name), core.el("b", "gp-num gp-amber",
            w.below_target_days + "/" + w.days_active + L.days + " · " + (w.avg_visit_minutes_home / 60).toFixed(1) + L.h));
          below.appendChild(li);
        });
      }, function (err) { core.failed(panel, "street: coverage over " + period, err); });
    }

    // -- alerts -----------------------------------------------------------------------------------------------------
    function loadAlerts() {
      var day = S.today;
      return api("/api/v1/alerts?" + q({ street: cfg.street, date: day })).then(function (body) {
        if (day !== S.today) return;  // midnight passed while it was read
        core.loaded("street-alerts");
        S.alerts = body.alerts; renderAlerts(); S.tableChanged();
      }, function (err) { core.failed("street-alerts", "street: alerts of " + day, err); });
    }
    function onAlerts(list) {
      (Array.isArray(list) ? list : [list]).forEach(function (a) {
        if (a.street && a.street !== cfg.street) return;
        a.id = core.alertId(a); a.ack = null;
        if (!S.alerts.some(function (x) { return x.id === a.id; })) S.alerts.unshift(a);
      });
      S.alerts = S.alerts.slice(0, 500);
      renderAlerts(); S.tableChanged();
    }
    function onAck(msg) {
      var ids = {};
      (msg.ids || []).forEach(function (i) { ids[i] = true; });
      S.alerts.forEach(function (a) { if (ids[a.id] && !a.ack) a.ack = { by: msg.by, at: msg.at }; });
      renderAlerts(); S.tableChanged();
    }
    function renderAlerts() {
      var ol = document.getElementById("street-alerts");
      if (!ol) return;
      ol.textContent = "";
      var unread = 0;
      if (!S.alerts.length) ol.appendChild(core.el("li", "gp-muted", L.no_alerts));
      S.alerts.slice(0, 100).forEach(function (a) {
        var li = core.el("li", "gp-alert gp-alert--" + a.kind + (a.ack ? " gp-alert--acked" : ""));
        li.setAttribute("data-alert", a.id);
        li.append(core.el("time", null, core.fmtTime(a.ts)), core.el("b", null, L["kind_" + a.kind] || a.kind),
                  core.el("span", "gp-alert-msg", (a.name || a.w) + " " + (a.message || "")));
        if (a.ack) {
          li.appendChild(core.el("span", "gp-acked", L.acked + " · " + a.ack.by + " " + core.fmtTime(a.ack.at)));
        } else {
          unread++;
          var b = core.el("button", "gp-btn gp-ack", L.ack);
          b.setAttribute("data-ack", a.id);
          li.appendChild(b);
        }
        ol.appendChild(li);
      });
      core.setText("street-unread", unread ? String(unread) : "");
    }
    function ack(id) {
      return api("/api/v1/alerts/ack", { method: "POST", headers: { "Content-Type": "application/json" },
                                        body: JSON.stringify({ ids: [id] }) })
        .then(function (r) { core.loaded("street-alerts"); onAck({ ids: r.acknowledged, by: r.by, at: r.at }); },
              function (err) { core.failed("street-alerts", "street: acknowledging " + id, err); throw err; });
    }

    // -- the selected worker's phone attribute changes of the day (properties.attributes of the worker's track) ----
    function loadAttributes(id, info) {
      return api("/api/v1/workers/" + encodeURIComponent(id) + "/track?" + q({ date: S.today })).then(function (body) {
        var changes = (body.properties || {}).attributes || [];
        if (S.selected !== id || !changes.length) return;
        var names = L.attrs || {}, box = core.el("div", "gp-attr-changes");
        box.id = "street-attr-changes";
        box.append(core.el("b", null, L.attr_changes));
        changes.slice(-20).forEach(function (c) {  // text nodes only: keys and values come from phones
          var map = c[1] || {}, parts = Object.keys(map).map(function (k) { return (names[k] || k) + ": " + map[k]; });
          box.append(core.el("div", null, core.fmtTime(c[0]) + "  " + parts.join(" · ")));
        });
        var old = document.getElementById("street-attr-changes");
        if (old) old.remove();
        info.append(box);
      }, function (err) { window.console.warn("GridPulse: attributes of " + id + " failed", err); });
    }

    return { loadCoverage: loadCoverage, loadAlerts: loadAlerts, onAlerts: onAlerts, onAck: onAck, ack: ack,
             loadAttributes: loadAttributes };
  }

  return { create: create };
});

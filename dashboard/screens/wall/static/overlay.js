/* Canvas layers over the Plotly/MapLibre map: worker dots, street names, ticket heat and new-ticket marks.
 *
 * Why canvases: a positions push every second must not repaint the WebGL map (in software GL a repaint of the map
 * with 1,147 grid polygons costs hundreds of ms). The map repaints only when it is panned or zoomed; a push redraws
 * one 2D canvas of dots from prepared typed arrays (web-mercator in [0, 1), projected with two multiply-adds).
 *
 * window.gpOverlay.create(mapEl, graphDiv, canvases) → overlay with
 *   ready()                         true once the MapLibre map is attached
 *   view()                          {ws, cx, cy, w, h, dpr} of the current map view (null before ready)
 *   onMove(fn)                      fn() after every pan/zoom/resize (once per animation frame)
 *   toMerc(lon, lat) → [mx, my]     web-mercator in [0, 1)
 */
(function () {
  "use strict";
  var TILE = 512; // MapLibre's world is 512 px wide at zoom 0

  function mercX(lon) { return (lon + 180) / 360; }
  function mercY(lat) {
    var s = Math.sin(lat * Math.PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  function create(mapEl, gd, canvases) {
    var ov = { map: null, listeners: [], frame: 0, canvases: canvases };

    function attach() {
      var full = gd && gd._fullLayout, sub = full && full.map && full.map._subplot;
      if (!sub || !sub.map) return false;
      ov.map = sub.map;
      var schedule = function () {
        if (ov.frame) return;
        ov.frame = window.requestAnimationFrame(function () {
          ov.frame = 0;
          resize();
          for (var i = 0; i < ov.listeners.length; i++) ov.listeners[i]();
        });
      };
      ov.map.on("move", schedule);
      ov.map.on("resize", schedule);
      window.addEventListener("resize", schedule);
      resize();
      schedule();
      return true;
    }

    function resize() {
      var dpr = window.devicePixelRatio || 1, w = mapEl.clientWidth, h = mapEl.clientHeight;
      Object.keys(canvases).forEach(function (k) {
        var c = canvases[k];
        if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
          c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
        }
      });
    }

    ov.ready = function () { return !!ov.map || attach(); };
    ov.onMove = function (fn) { ov.listeners.push(fn); };
    ov.toMerc = function (lon, lat) { return [mercX(lon), mercY(lat)]; };
    ov.view = function () {
      if (!ov.ready()) return null;
      var m = ov.map, c = m.getCenter(), z = m.getZoom(), ws = TILE * Math.pow(2, z);
      var dpr = window.devicePixelRatio || 1;
      return { ws: ws, cx: mercX(c.lng) * ws, cy: mercY(c.lat) * ws, w: mapEl.clientWidth, h: mapEl.clientHeight,
               dpr: dpr, zoom: z, rotated: !!(m.getBearing() || m.getPitch()), map: m };
    };
    // Pixel position of a mercator point in view v (exact for bearing 0 / pitch 0; the map's own projection otherwise).
    ov.px = function (v, mx, my, lon, lat) {
      if (v.rotated) { var p = v.map.project([lon, lat]); return [p.x, p.y]; }
      return [mx * v.ws - v.cx + v.w / 2, my * v.ws - v.cy + v.h / 2];
    };
    return ov;
  }

  window.gpOverlay = { create: create, mercX: mercX, mercY: mercY };
})();

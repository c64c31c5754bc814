/* Canvas layers over the Plotly/MapLibre map: worker dots, street names, ticket heat and new-ticket marks.
 *
 * Why canvases: a positions push every second must not repaint the WebGL map (in software GL a repaint of the map
 * with 1,147 grid polygons costs hundreds of ms). The map repaints only when it is panned or zoomed; a push redraws
 * one 2D canvas of dots from prepared typed arrays (web-mercator in [0, 1), projected with two multiply-adds).
 *
 * GP.wall.overlay.create(mapEl, graphDiv, canvases) → overlay with
 *   ready()                         true once the MapLibre map is attached
 *   view()                          GP.core.mapView of the current map (null before ready)
 *   px(v, mx, my, lon, lat)         GP.core.viewPx: pixel position of a world point in view v
 *   onMove(fn)                      fn() after every pan/zoom/resize (once per animation frame)
 *   toMerc(lon, lat) → [mx, my]     web-mercator in [0, 1)
 */
GP.define("wall.overlay", ["core"], function (GP) {
  "use strict";
  var core = GP.core;

  function create(mapEl, gd, canvases) {
    var ov = { map: null, listeners: [], frame: 0, canvases: canvases };

    function attach() {
      var pm = core.plotMap(gd);
      if (!pm || !pm.map) return false;
      ov.map = pm.map;
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
    ov.toMerc = function (lon, lat) { return [core.mercX(lon), core.mercY(lat)]; };
    ov.view = function () {
      if (!ov.ready()) return null;
      return core.mapView(ov.map, mapEl.clientWidth, mapEl.clientHeight);
    };
    ov.px = core.viewPx;
    return ov;
  }

  return { create: create };
});

/* A heat layer on a 2D canvas (the technique of mourner/simpleheat): each point is a blurred disc drawn with alpha
 * = its weight, then the alpha channel is coloured through a gradient palette. Redrawn only when the tickets or the
 * view change, never per positions push.
 *
 * GP.wall.heat.draw(canvas, points, {radius, blur, max}) with points = [[x, y, weight], ...] in CSS pixels. */
GP.define("wall.heat", [], function () {
  "use strict";
  var palette = null, stamps = {};

  function makePalette() {
    var c = document.createElement("canvas"); c.width = 1; c.height = 256;
    var g = c.getContext("2d"), grad = g.createLinearGradient(0, 0, 0, 256);
    grad.addColorStop(0.0, "rgba(0, 60, 255, 0)");
    grad.addColorStop(0.25, "rgba(0, 120, 255, 0.55)");
    grad.addColorStop(0.45, "#00e0ff");
    grad.addColorStop(0.65, "#5cff5c");
    grad.addColorStop(0.8, "#ffe000");
    grad.addColorStop(1.0, "#ff3000");
    g.fillStyle = grad; g.fillRect(0, 0, 1, 256);
    return g.getImageData(0, 0, 1, 256).data;
  }

  function stamp(r, blur) {
    var key = r + ":" + blur;
    if (stamps[key]) return stamps[key];
    var c = document.createElement("canvas"), g = c.getContext("2d"), full = r + blur;
    c.width = c.height = full * 2;
    // Draw the disc far off-canvas and keep only its shadow: a soft-edged disc.
    g.shadowOffsetX = g.shadowOffsetY = full * 2;
    g.shadowBlur = blur;
    g.shadowColor = "black";
    g.beginPath();
    g.arc(-full, -full, r, 0, Math.PI * 2, true);
    g.closePath();
    g.fill();
    stamps[key] = c;
    return c;
  }

  function draw(canvas, points, opts) {
    opts = opts || {};
    var dpr = window.devicePixelRatio || 1;
    var r = Math.max(2, Math.round((opts.radius || 18) * dpr)), blur = Math.max(1, Math.round((opts.blur || 14) * dpr));
    var max = opts.max || 3, g = canvas.getContext("2d", { willReadFrequently: true });
    g.clearRect(0, 0, canvas.width, canvas.height);
    if (!points.length) return;
    palette = palette || makePalette();
    var s = stamp(r, blur), full = r + blur;
    var x0 = canvas.width, y0 = canvas.height, x1 = 0, y1 = 0;
    for (var i = 0; i < points.length; i++) {
      var p = points[i], x = p[0] * dpr, y = p[1] * dpr;
      if (x < -full || y < -full || x > canvas.width + full || y > canvas.height + full) continue;
      g.globalAlpha = Math.min(1, Math.max(0.02, (p[2] / max) * (opts.alpha || 1)));
      g.drawImage(s, x - full, y - full);
      if (x - full < x0) x0 = x - full;
      if (y - full < y0) y0 = y - full;
      if (x + full > x1) x1 = x + full;
      if (y + full > y1) y1 = y + full;
    }
    g.globalAlpha = 1;
    // Colour only the box that was drawn into.
    x0 = Math.max(0, Math.floor(x0)); y0 = Math.max(0, Math.floor(y0));
    x1 = Math.min(canvas.width, Math.ceil(x1)); y1 = Math.min(canvas.height, Math.ceil(y1));
    if (x1 <= x0 || y1 <= y0) return;
    var img = g.getImageData(x0, y0, x1 - x0, y1 - y0), px = img.data;
    for (var k = 0, n = px.length; k < n; k += 4) {
      var a = px[k + 3] * 4;
      if (a) { px[k] = palette[a]; px[k + 1] = palette[a + 1]; px[k + 2] = palette[a + 2]; px[k + 3] = palette[a + 3] * 0.85; }
    }
    g.putImageData(img, x0, y0);
  }

  return { draw: draw };
});

/* The drill-down's browser code: photos of an opened ticket (fetched by GP.core.fetch with the page's token: the
 * photo API wants a bearer header), "copy link", and a language switch that keeps the selection. Charts and tables
 * are drawn by Dash; the URL is kept by the screen's dcc.Location. GP.manage = {loadPhotos, copyLink}. */
GP.define("manage", ["core"], function (GP) {
  "use strict";
  var core = GP.core;
  var urls = {};  // photo API path → object URL (a ticket opened twice is not fetched twice)

  function loadPhotos() {
    document.querySelectorAll("#manage-detail img[data-photo]").forEach(function (img) {
      var path = img.getAttribute("data-photo");
      if (img.src) return;
      if (urls[path]) { img.src = urls[path]; return; }
      core.fetch(path)
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.blob(); })
        .then(function (b) { urls[path] = URL.createObjectURL(b); img.src = urls[path]; })
        .catch(function (err) {
          window.console.warn("GridPulse: photo " + path + " failed", err);
          img.classList.add("mg-photo--missing");
        });
    });
  }

  function copyLink() {
    var cfg = core.config("manage") || {}, btn = document.getElementById("manage-copy");
    var done = function () { if (btn) { btn.textContent = (cfg.labels || {}).copied || "✓"; } };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(window.location.href).then(done);
    else {
      var t = document.createElement("textarea");
      t.value = window.location.href; document.body.appendChild(t); t.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* nothing to copy with */ }
      t.remove();
    }
  }

  // The language link keeps the rest of the query (a full load: every label is rebuilt).
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest(".mg-root a[data-gp-lang]");
    if (!a) return;
    ev.preventDefault();
    var params = new URLSearchParams(window.location.search);
    params.set("lang", a.getAttribute("data-gp-lang"));
    window.location.search = params.toString();
  });

  core.token();  // takes ?token= into sessionStorage and out of the address bar (the cookie serves Dash)
  return { loadPhotos: loadPhotos, copyLink: copyLink };
});

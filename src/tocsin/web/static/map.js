// The map: COD-AB boundaries and gazetteer places, both from Tocsin's own API (no tiles, no CDN).
// Boundaries are fetched simplified for the current zoom; places for the current zoom and view.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var labels = JSON.parse(el.dataset.labels || "{}");
  var arabic = el.dataset.language === "ar";
  var STAGE_COLOURS = { calm: "#4a7f4a", threatened: "#c9a227", encircled: "#d9822b",
    cut_off: "#c0392b", outcome_unrecorded: "#6c3483", under_assault: "#8e1b1b", overrun: "#3b0a0a",
    fallen: "#1b0505" };
  var map = L.map(el, { zoomSnap: 1, minZoom: 4, maxZoom: 13, preferCanvas: false })
    .setView([13.5, 24.5], 6);
  map.attributionControl.addAttribution(escapeText(labels.attribution || ""));
  var areaLayer = L.geoJSON(null, {
    style: function (f) {
      return f.properties.admin_level === 1
        ? { color: "#444", weight: 1.6, fill: false }
        : { color: "#888", weight: 0.6, fillColor: "#f4f1e8", fillOpacity: 0.6 };
    },
    onEachFeature: function (f, layer) {
      // As text: an area's name comes from a data file and must never be read as HTML.
      var label = document.createElement("span");
      label.textContent = (arabic && f.properties.name_ar) || f.properties.name || f.properties.pcode;
      layer.bindTooltip(label, { sticky: true });
    }
  }).addTo(map);
  var placeLayer = L.layerGroup().addTo(map);
  function escapeText(s) { return String(s).replace(/[&<>]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;" }[c]; }); }

  function radius(p) {
    var base = p.class === "city" ? 7 : p.class === "town" || p.class === "camp" || p.class === "idp_site" ? 5 : 3;
    return p.risk != null ? base + Math.round(6 * p.risk) : base;
  }
  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function popup(p) {
    var name = (arabic && p.name_ar) || p.name || p.name_ar || labels.unnamed;  // its page says where
    var lines = ['<a href="/places/' + encodeURIComponent(p.id) + '">' + escapeHtml(name) + "</a>"];
    // The stage with the day it began, always together.
    var stage = p.stage ? labels[p.stage] : labels.none;
    if (p.stage && p.stage_since) { stage += " (" + labels.since.replace("{date}", p.stage_since) + ")"; }
    lines.push(escapeHtml(stage));
    if (p.risk != null) { lines.push(escapeHtml(labels.risk) + ": " + Math.round(100 * p.risk) + "%"); }
    if (p.population) { lines.push(escapeHtml(labels.population) + ": " + p.population.toLocaleString()); }
    return lines.join("<br>");
  }
  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () { if (xhr.status === 200) { done(JSON.parse(xhr.responseText)); } };
    xhr.send();
  }
  var areaZoom = null, placeRequest = 0;
  function refresh() {
    var z = map.getZoom();
    var bucket = Math.min(z, 10);
    if (bucket !== areaZoom) {
      areaZoom = bucket;
      getJSON(el.dataset.areas + "?zoom=" + bucket, function (gj) {
        areaLayer.clearLayers(); areaLayer.addData(gj); areaLayer.bringToBack();
      });
    }
    var b = map.getBounds(), ticket = ++placeRequest;
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(2); });
    getJSON(el.dataset.places + "?zoom=" + z + "&bbox=" + bbox.join(","), function (gj) {
      if (ticket !== placeRequest) { return; }
      placeLayer.clearLayers();
      // Worst stage drawn last, on top: a besieged town must not hide under its neighbours.
      gj.features.sort(function (a, b) {
        return (a.properties.stage_rank == null ? -1 : a.properties.stage_rank) -
          (b.properties.stage_rank == null ? -1 : b.properties.stage_rank);
      });
      gj.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        L.circleMarker([c[1], c[0]], {
          radius: radius(p), weight: 1, color: "#222",
          fillColor: p.stage ? STAGE_COLOURS[p.stage] : "#8c8c8c", fillOpacity: 0.85,
          className: "place-marker"
        }).bindPopup(popup(p)).addTo(placeLayer);
      });
      el.dataset.placesShown = String(gj.features.length);
    });
  }
  map.on("moveend", refresh);
  refresh();
}());

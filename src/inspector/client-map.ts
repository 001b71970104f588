/**
 * The map view of the inspector's page script (see client.ts, whose `UI` object it uses): the
 * server's 2-D projection of a sample of vectors drawn as SVG points, coloured by a metadata
 * field (a few values: one colour each; many numbers: a gradient), with the id shown on hover
 * and the record opened on click.
 *
 * @module
 */

/** The map's script, run after the core's. */
export const CLIENT_MAP_JS = String.raw`(function () {
  var $ = UI.$, el = UI.el, int = UI.int;
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = ["#3558d8", "#e4572e", "#17a398", "#f3a712", "#8e44ad", "#2e86ab", "#c1292e", "#5b8c2a", "#d4669d", "#6c757d", "#a0522d"];
  var OTHER = "#b8bec8", NONE = "#dde1e7";
  var W = 900, H = 560, PAD = 24;
  var last = null;

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    return node;
  }

  /** Colours for the values: a gradient for many numbers, else the commonest values one colour each. */
  function colouring(points) {
    var values = points.map(function (p) { return p.value; });
    var present = values.filter(function (v) { return v !== null; });
    var counts = {};
    present.forEach(function (v) { var k = JSON.stringify(v); counts[k] = (counts[k] || 0) + 1; });
    var distinct = Object.keys(counts);
    if (!present.length) return { colour: function () { return PALETTE[0]; }, legend: [] };
    if (distinct.length > PALETTE.length && present.every(function (v) { return typeof v === "number"; })) {
      var min = Math.min.apply(null, present), max = Math.max.apply(null, present);
      var colour = function (v) {
        if (v === null) return NONE;
        var t = max > min ? (v - min) / (max - min) : 0.5;
        return "hsl(" + Math.round(230 - 200 * t) + ", 70%, " + Math.round(48 + 6 * t) + "%)";
      };
      var stops = [0, 0.25, 0.5, 0.75, 1].map(function (t) { return colour(min + t * (max - min)); });
      return { colour: colour, gradient: { min: min, max: max, stops: stops } };
    }
    distinct.sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
    var top = distinct.slice(0, distinct.length > PALETTE.length ? PALETTE.length - 1 : PALETTE.length);
    var index = {};
    top.forEach(function (k, i) { index[k] = i; });
    var legend = top.map(function (k) { return { label: String(JSON.parse(k)), colour: PALETTE[index[k]], count: counts[k] }; });
    var rest = present.length - top.reduce(function (s, k) { return s + counts[k]; }, 0);
    if (rest) legend.push({ label: "other values", colour: OTHER, count: rest });
    if (present.length < values.length) legend.push({ label: "(no value)", colour: NONE, count: values.length - present.length });
    return {
      colour: function (v) { if (v === null) return NONE; var i = index[JSON.stringify(v)]; return i === undefined ? OTHER : PALETTE[i]; },
      legend: legend,
    };
  }

  function draw(answer) {
    last = answer;
    var box = $("map-box"), tooltip = $("map-tooltip");
    var old = box.querySelector("svg");
    if (old) old.remove();
    var pts = answer.points;
    var xs = pts.map(function (p) { return p.x; }), ys = pts.map(function (p) { return p.y; });
    var minX = Math.min.apply(null, xs.concat([0])), maxX = Math.max.apply(null, xs.concat([0]));
    var minY = Math.min.apply(null, ys.concat([0])), maxY = Math.max.apply(null, ys.concat([0]));
    var sx = (W - 2 * PAD) / ((maxX - minX) || 1), sy = (H - 2 * PAD) / ((maxY - minY) || 1);
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "map of " + pts.length + " vectors" });
    root.appendChild(svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#fbfcfd" }));
    root.appendChild(svg("line", { x1: PAD, x2: W - PAD, y1: H - PAD - (0 - minY) * sy, y2: H - PAD - (0 - minY) * sy, stroke: "#e6e9ef" }));
    root.appendChild(svg("line", { y1: PAD, y2: H - PAD, x1: PAD + (0 - minX) * sx, x2: PAD + (0 - minX) * sx, stroke: "#e6e9ef" }));
    var c = colouring(pts);
    var r = pts.length > 2500 ? 2.6 : pts.length > 800 ? 3.4 : 4.5;
    var layer = svg("g", { class: "points" });
    pts.forEach(function (p, i) {
      var dot = svg("circle", { cx: (PAD + (p.x - minX) * sx).toFixed(1), cy: (H - PAD - (p.y - minY) * sy).toFixed(1), r: r, fill: c.colour(p.value), "data-i": i });
      layer.appendChild(dot);
    });
    root.appendChild(layer);
    root.appendChild(svg("text", { x: W - PAD, y: H - 8, "text-anchor": "end", fill: "#98a2b3", "font-size": 11 })).textContent = "PC1 " + pct(answer.explained[0]);
    root.appendChild(svg("text", { x: 8, y: 16, fill: "#98a2b3", "font-size": 11 })).textContent = "PC2 " + pct(answer.explained[1]);
    layer.addEventListener("mouseover", function (e) {
      var i = e.target.getAttribute && e.target.getAttribute("data-i");
      if (i === null || i === undefined) return;
      var p = pts[Number(i)];
      tooltip.textContent = p.id + (answer.colorBy && p.value !== null ? "  ·  " + answer.colorBy + ": " + p.value : "");
      var bounds = box.getBoundingClientRect(), at = e.target.getBoundingClientRect();
      tooltip.style.left = (at.left - bounds.left + at.width / 2) + "px";
      tooltip.style.top = (at.top - bounds.top + at.height / 2) + "px";
      tooltip.hidden = false;
    });
    layer.addEventListener("mouseout", function () { tooltip.hidden = true; });
    layer.addEventListener("click", function (e) {
      var i = e.target.getAttribute && e.target.getAttribute("data-i");
      if (i !== null && i !== undefined) UI.openRecord(pts[Number(i)].namespace, pts[Number(i)].id);
    });
    box.insertBefore(root, tooltip);

    var legend = $("map-legend");
    legend.replaceChildren();
    if (answer.colorBy) legend.appendChild(el("li", null, el("b", null, answer.colorBy)));
    if (c.gradient) {
      var bar = el("span", { class: "gradient" });
      bar.style.background = "linear-gradient(90deg, " + c.gradient.stops.join(", ") + ")";
      legend.appendChild(el("li", null, el("span", null, bound(c.gradient.min)), bar, el("span", null, bound(c.gradient.max))));
      legend.appendChild(el("li", { class: "muted" }, int(answer.points.length) + " points, " + int(distinctCount(answer.points)) + " values"));
    } else if (answer.colorBy) {
      c.legend.forEach(function (item) {
        var swatch = el("span", { class: "swatch" });
        swatch.style.background = item.colour;
        legend.appendChild(el("li", null, swatch, el("span", null, item.label), el("span", { class: "muted" }, int(item.count))));
      });
    }
    $("map-stats").textContent = int(answer.sampled) + " of " + int(answer.matched) + " matching records" +
      (answer.sampled < answer.matched ? " (an even sample)" : "") + " · PCA of " + answer.dimension + "-d vectors" +
      (answer.normalized ? " (unit length: cosine)" : "") + " · the two axes keep " + pct(answer.explained[0] + answer.explained[1]) + " of the variance";
  }

  function bound(x) { return Number.isInteger(x) ? int(x) : UI.num(x, 2); }
  function distinctCount(points) {
    var seen = {};
    points.forEach(function (p) { if (p.value !== null) seen[JSON.stringify(p.value)] = true; });
    return Object.keys(seen).length;
  }

  function pct(x) { return (100 * x).toFixed(1) + "%"; }

  /** Fills the colour choices; on the first draw picks a field of 2 to 11 values when there is one. */
  function offerFields(fields, chosen) {
    var select = $("map-color");
    var current = chosen !== undefined ? chosen : select.value;
    select.replaceChildren(el("option", { value: "" }, "(nothing)"));
    fields.forEach(function (f) { select.appendChild(el("option", { value: f.path }, f.path + (f.distinct >= 100 ? " (100+ values)" : " (" + f.distinct + " values)"))); });
    select.value = current;
  }

  function load(first) {
    var box = $("map-error");
    UI.clearError(box);
    var body;
    try {
      body = { namespace: $("map-namespace").value, sample: Number($("map-sample").value), filter: UI.readFilter($("map-filter")) };
      if ($("map-color").value) body.colorBy = $("map-color").value;
      if ($("map-vector").value) body.vectorName = $("map-vector").value;
    } catch (e) { UI.showError(box, e); return Promise.resolve(); }
    $("map-stats").textContent = "Projecting…";
    return UI.api("POST", "/api/map", body).then(function (answer) {
      if (first && !body.colorBy) {
        var pick = answer.fields.filter(function (f) { return f.distinct >= 2 && f.distinct <= 11; })[0];
        offerFields(answer.fields, pick ? pick.path : "");
        if (pick) return load(false);
      } else offerFields(answer.fields);
      draw(answer);
    }, function (e) {
      UI.showError(box, e);
      $("map-stats").textContent = "";
    });
  }

  $("map-form").addEventListener("submit", function (e) { e.preventDefault(); load(false); });
  $("map-color").addEventListener("change", function () { if (last) load(false); });
  UI.loaders.map = function () { return load(true); };
})();
`;

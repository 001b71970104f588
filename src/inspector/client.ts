/**
 * The inspector page's script, as the string the server answers /app.js with: plain DOM code,
 * no framework, no network beyond the server's own API. Every value from the database reaches
 * the page as text (textContent, attributes), never as markup. The map view is client-map.ts.
 *
 * @module
 */
import { CLIENT_MAP_JS } from "./client-map.ts";

const CLIENT_CORE_JS = String.raw`"use strict";
var UI = (function () {
  var state = { overview: null, shown: {}, records: { cursors: [null], page: 0, namespace: "", selected: null } };

  function $(id) { return document.getElementById(id); }

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) for (var key in attrs) {
      if (attrs[key] === undefined || attrs[key] === null) continue;
      if (key === "class") node.className = attrs[key];
      else if (key === "text") node.textContent = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  function int(n) { return Number(n).toLocaleString("en-US"); }
  function bytes(n) {
    if (n === null || n === undefined) return "none";
    if (n < 1024) return n + " B";
    var units = ["KiB", "MiB", "GiB", "TiB"], v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return v.toFixed(1) + " " + units[i];
  }
  function num(x, digits) {
    if (typeof x !== "number") return String(x);
    if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(2);
    return x.toFixed(digits === undefined ? 4 : digits);
  }
  function nsName(name) { return name === "" ? '"" (default)' : name; }
  /** Metadata as one level of dot paths (objects opened two levels deep; lists kept whole). */
  function flatten(value, prefix, out, depth) {
    Object.keys(value).forEach(function (k) {
      var v = value[k], path = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v) && depth < 2) flatten(v, path, out, depth + 1);
      else out[path] = v;
    });
    return out;
  }
  function pairs(metadata) {
    var f = flatten(metadata, "", {}, 0);
    return Object.keys(f).map(function (k) { return k + ": " + cellText(f[k]); }).join(" · ");
  }
  function cellText(value) {
    if (value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  /** Calls the API; a failure throws an Error carrying the server's { code, message, path }. */
  function api(method, path, body) {
    var init = { method: method, headers: { accept: "application/json" } };
    if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.ok) return data;
        var info = (data && data.error) || { code: "HTTP_" + res.status, message: res.statusText };
        var err = new Error(info.message);
        err.info = info;
        throw err;
      });
    });
  }

  function showError(box, e) {
    var info = e.info || { code: "ERROR", message: String(e.message || e) };
    box.replaceChildren(el("span", { class: "code" }, info.code), info.message);
    if (info.path) box.appendChild(el("div", { class: "path" }, "path: ", el("code", null, info.path)));
    box.hidden = false;
  }
  function clearError(box) { box.hidden = true; box.replaceChildren(); }

  /** The JSON of a filter box: undefined when empty; not JSON is an error in the API's shape. */
  function readFilter(textarea) {
    var text = textarea.value.trim();
    if (!text) return undefined;
    try { return JSON.parse(text); } catch (e) {
      var err = new Error("the filter is not JSON: " + e.message);
      err.info = { code: "INVALID_JSON", message: "the filter is not JSON: " + e.message };
      throw err;
    }
  }

  // Views

  var loaders = {};
  function route() {
    var view = (location.hash || "#overview").slice(1).split("/")[0];
    if (!$("view-" + view)) view = "overview";
    document.querySelectorAll(".view").forEach(function (s) { s.hidden = s.id !== "view-" + view; });
    document.querySelectorAll("#tabs a").forEach(function (a) { a.classList.toggle("active", a.dataset.view === view); });
    if (!state.shown[view] && state.overview && loaders[view]) { state.shown[view] = true; loaders[view](); }
  }

  // Overview

  function card(label, value, sub) {
    return el("div", { class: "card" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  function indexText(index, codes) {
    var parts = [];
    parts.push(index ? "HNSW: " + int(index.nodes) + " nodes (" + int(index.live) + " live)" + (index.mapped ? ", mapped" : ", " + bytes(index.bytes)) : "exact scan");
    if (codes) parts.push(codes.kind + " codes (" + codes.kernel + ")");
    return parts.join("; ");
  }

  function renderOverview(o) {
    $("file-name").textContent = o.path;
    $("file-name").title = o.path;
    $("read-only").hidden = !o.readOnly;
    var quant = typeof o.quantization === "string" ? o.quantization : JSON.stringify(o.quantization);
    var analyzer = o.analyzer ? o.analyzer.steps ? o.analyzer.steps.map(function (s) { return s.kind || s.type || JSON.stringify(s); }).join(" → ") : JSON.stringify(o.analyzer) : "English (default)";
    $("overview-cards").replaceChildren(
      card("Records", int(o.records), "in " + int(o.namespaceCount) + " namespace" + (o.namespaceCount === 1 ? "" : "s")),
      card("File size", bytes(o.fileBytes), ".vdb"),
      card("WAL size", bytes(o.walBytes), o.walBytes ? "folded in by the next compact" : "nothing pending"),
      card("Dimension", int(o.dimension)),
      card("Metric", o.metric),
      card("Quantization", quant),
      card("Indexes", int(o.indexesLoaded) + " loaded", int(o.indexBuilds) + " built at open"),
      card("Analyzer", analyzer)
    );
    var rows = o.namespaces.map(function (ns) {
      var named = Object.keys(ns.named).map(function (name) {
        var s = ns.named[name];
        return name + ": " + s.dimension + "-d, " + int(s.vectors) + " vectors, " + (s.index ? "HNSW" : "exact");
      });
      var multi = Object.keys(ns.multiVectors).map(function (name) {
        var s = ns.multiVectors[name];
        return name + ": " + int(s.records) + " records, " + int(s.tokens) + " vectors, " + s.dimension + "-d";
      });
      return el("tr", { "data-namespace": ns.name },
        el("td", { class: "mono" }, nsName(ns.name)),
        el("td", { class: "num" }, int(ns.records)),
        el("td", { class: "num" }, int(ns.deadSlots)),
        el("td", null, indexText(ns.index, ns.codes)),
        el("td", null, named.length ? named.join("; ") : el("span", { class: "muted" }, "none")),
        el("td", null, multi.length ? multi.join("; ") : el("span", { class: "muted" }, "none")));
    });
    $("namespace-table").tBodies[0].replaceChildren.apply($("namespace-table").tBodies[0], rows);
    $("overview-note").textContent = "Opened read-only at " + new Date(o.openedAt).toLocaleString() +
      ": the inspector sees every transaction committed before then, and nothing later." +
      (o.namespaceCount > o.namespaces.length ? " The first " + int(o.namespaces.length) + " namespaces are listed." : "");

    document.querySelectorAll(".ns-select").forEach(function (select) {
      var options = o.namespaces.map(function (ns) { return el("option", { value: ns.name }, nsName(ns.name) + " (" + int(ns.records) + ")"); });
      if (select.dataset.all) options.push(el("option", { value: "*" }, "* (every namespace)"));
      if (!o.namespaces.some(function (ns) { return ns.name === ""; })) options.unshift(el("option", { value: "" }, nsName("")));
      select.replaceChildren.apply(select, options);
    });
    var spaces = {};
    o.namespaces.forEach(function (ns) { Object.keys(ns.named).forEach(function (name) { spaces[name] = true; }); });
    ["search-vector", "map-vector"].forEach(function (id) {
      var select = $(id);
      select.replaceChildren(el("option", { value: "" }, "main (" + o.dimension + "-d)"));
      Object.keys(spaces).sort().forEach(function (name) { select.appendChild(el("option", { value: name }, name)); });
    });
    $("search-hint").textContent = o.embed
      ? "Text searches are hybrid: BM25 over the records' terms, fused with the nearest vectors to the text's embedding (--embed-url)."
      : "Text searches are keyword (BM25) searches over the records' terms; start with --embed-url to make them hybrid.";
  }

  // Records

  function loadRecords() {
    var r = state.records;
    clearError($("records-error"));
    var body;
    try {
      body = { namespace: $("records-namespace").value, filter: readFilter($("records-filter")), limit: Number($("records-limit").value), cursor: r.cursors[r.page] };
    } catch (e) { showError($("records-error"), e); return Promise.resolve(); }
    $("records-status").textContent = "Loading…";
    return api("POST", "/api/list", body).then(function (page) {
      r.namespace = body.namespace;
      r.cursors[r.page + 1] = page.cursor;
      renderRecords(page, body.limit);
    }, function (e) {
      showError($("records-error"), e);
      $("records-status").textContent = "";
      $("records-table").tHead.replaceChildren();
      $("records-table").tBodies[0].replaceChildren();
      $("records-next").disabled = true;
      $("records-prev").disabled = true;
    });
  }

  function renderRecords(page, limit) {
    var r = state.records;
    var first = r.page * limit;
    $("records-status").textContent = page.matched === 0 ? "No record matches." :
      "Records " + int(first + 1) + "–" + int(first + page.records.length) + " of " + int(page.matched) + " matching";
    $("records-prev").disabled = r.page === 0;
    $("records-next").disabled = !page.cursor;
    // Columns: the metadata fields (nested objects by dot path) most records of this page
    // have, in the order they first appear, up to four; the rest goes in one cell.
    var flat = page.records.map(function (rec) { return flatten(rec.metadata, "", {}, 0); });
    var freq = {}, order = [];
    flat.forEach(function (f) { Object.keys(f).forEach(function (k) { if (!freq[k]) { freq[k] = 0; order.push(k); } freq[k]++; }); });
    var keys = order.slice().sort(function (a, b) { return freq[b] - freq[a] || order.indexOf(a) - order.indexOf(b); }).slice(0, 4);
    var all = r.namespace === "*";
    $("records-table").tHead.replaceChildren(el("tr", null, el("th", null, "id"), all ? el("th", null, "namespace") : null,
      keys.map(function (k) { return el("th", null, k); }), el("th", null, "other metadata"), el("th", { class: "num" }, "terms")));
    var rows = page.records.map(function (rec, i) {
      var f = flat[i];
      var rest = Object.keys(f).filter(function (k) { return keys.indexOf(k) < 0; }).map(function (k) { return k + ": " + cellText(f[k]); }).join(" · ");
      var row = el("tr", { "data-id": rec.id, "data-namespace": rec.namespace },
        el("td", { class: "id" }, rec.id),
        all ? el("td", { class: "mono" }, nsName(rec.namespace)) : null,
        keys.map(function (k) { return el("td", null, el("div", { class: "cell", title: cellText(f[k]) }, cellText(f[k]))); }),
        el("td", null, el("div", { class: "cell muted", title: rest }, rest)),
        el("td", { class: "num" }, int(rec.terms)));
      row.addEventListener("click", function () { openRecord(rec.namespace, rec.id); });
      return row;
    });
    $("records-table").tBodies[0].replaceChildren.apply($("records-table").tBodies[0], rows);
    highlightSelected();
  }

  function highlightSelected() {
    var sel = state.records.selected;
    document.querySelectorAll("#records-table tbody tr").forEach(function (tr) {
      tr.classList.toggle("selected", !!sel && tr.dataset.id === sel.id && tr.dataset.namespace === sel.namespace);
    });
  }

  function vectorBlock(v) {
    return el("dl", { class: "kv" },
      el("dt", null, "dimension"), el("dd", null, int(v.dimension)),
      el("dt", null, "norm"), el("dd", { class: "norm" }, num(v.norm)),
      el("dt", null, "range"), el("dd", null, num(v.min) + " … " + num(v.max)),
      el("dt", null, "first values"), el("dd", { class: "mono" }, v.head.map(function (x) { return num(x, 3); }).join(", ") + (v.dimension > v.head.length ? ", …" : "")));
  }

  /** Shows one record in the Records view (switching to it). */
  function openRecord(namespace, id) {
    state.records.selected = { namespace: namespace, id: id };
    highlightSelected();
    if (location.hash !== "#records") location.hash = "#records";
    var box = $("record-view");
    box.hidden = false;
    box.replaceChildren(el("p", { class: "muted" }, "Loading " + id + "…"));
    return api("GET", "/api/record?namespace=" + encodeURIComponent(namespace) + "&id=" + encodeURIComponent(id)).then(function (rec) {
      var named = Object.keys(rec.vectors), multi = Object.keys(rec.multiVectors);
      box.replaceChildren();
      append(box, [
        el("h2", { class: "mono" }, rec.id),
        el("dl", { class: "kv" },
          el("dt", null, "namespace"), el("dd", { class: "mono" }, nsName(rec.namespace)),
          el("dt", null, "expires"), el("dd", null, rec.expiresAt ? new Date(rec.expiresAt).toLocaleString() : "never")),
        el("p", null, el("button", { type: "button", class: "primary", id: "more-like-this", onclick: function () { moreLikeThis(rec.namespace, rec.id); } }, "More like this")),
        el("h3", null, "Metadata"),
        el("pre", { class: "json" }, JSON.stringify(rec.metadata, null, 2)),
        el("h3", null, "Vector"),
        rec.vector ? vectorBlock(rec.vector) : el("p", { class: "muted" }, "none"),
        named.length ? [el("h3", null, "Named vectors")].concat(named.map(function (name) { return [el("div", { class: "mono" }, name), vectorBlock(rec.vectors[name])]; })) : null,
        multi.length ? [el("h3", null, "Multi-vectors"), el("dl", { class: "kv" }, multi.map(function (name) {
          var m = rec.multiVectors[name];
          return [el("dt", null, name), el("dd", null, int(m.count) + " × " + m.dimension + "-d, mean norm " + num(m.meanNorm))];
        }))] : null,
        el("h3", null, "Sparse terms (" + int(rec.sparse.count) + ")"),
        rec.sparse.count ? el("div", { class: "terms" }, rec.sparse.terms.map(function (t) { return el("span", { class: "chip" }, t[0] + " ", el("b", null, num(t[1], 2))); }),
          rec.sparse.count > rec.sparse.terms.length ? el("span", { class: "muted" }, "… " + int(rec.sparse.count - rec.sparse.terms.length) + " more") : null) : el("p", { class: "muted" }, "none")]);
    }, function (e) {
      box.replaceChildren(el("div", { class: "error" }));
      showError(box.firstChild, e);
    });
  }

  // Search

  function searchMode() { return document.querySelector("input[name=mode]:checked").value; }
  function syncMode() {
    var similar = searchMode() === "similar";
    $("search-id-label").hidden = !similar;
    $("search-vector-label").hidden = !similar;
    $("search-text").placeholder = similar ? "optional: words for a hybrid search" : "reset password";
  }

  function moreLikeThis(namespace, id) {
    document.querySelector("input[name=mode][value=similar]").checked = true;
    syncMode();
    $("search-id").value = id;
    $("search-text").value = "";
    $("search-namespace").value = namespace;
    state.search = { idNamespace: namespace };
    state.shown.search = true;
    location.hash = "#search";
    return runSearch();
  }

  function runSearch() {
    clearError($("search-error"));
    var body;
    try {
      var similar = searchMode() === "similar";
      body = { mode: similar ? "similar" : "text", namespace: $("search-namespace").value, k: Number($("search-k").value), fusion: $("search-fusion").value, filter: readFilter($("search-filter")) };
      if ($("search-text").value.trim()) body.text = $("search-text").value;
      if (similar) {
        body.id = $("search-id").value;
        body.idNamespace = state.search && state.search.idNamespace !== undefined ? state.search.idNamespace : body.namespace === "*" ? "" : body.namespace;
        if ($("search-vector").value) body.vectorName = $("search-vector").value;
      }
      if ($("search-mmr").value !== "") body.mmrLambda = Number($("search-mmr").value);
      if ($("search-rerank").value.trim()) body.rerankField = $("search-rerank").value.trim();
    } catch (e) { showError($("search-error"), e); return Promise.resolve(); }
    $("search-stats").textContent = "Searching…";
    return api("POST", "/api/search", body).then(renderResults, function (e) {
      showError($("search-error"), e);
      $("search-stats").textContent = "";
      $("search-results").replaceChildren();
    });
  }

  function part(label, value) { return el("span", { class: "part" }, label + " ", el("b", null, value)); }

  function renderResults(answer) {
    var s = answer.stats, q = answer.query;
    var terms = Object.keys(q.terms);
    $("search-stats").textContent = int(answer.results.length) + " result" + (answer.results.length === 1 ? "" : "s") +
      " · plan " + s.plan + " · " + num(s.timings.totalUs / 1000, 2) + " ms · " + int(s.visited) + " vectors scored · " + int(s.filtered) + " filtered out" +
      (terms.length ? " · terms: " + terms.join(", ") : "") + (q.dense ? " · dense: " + q.dense : "") + (q.hybrid ? " · hybrid (" + q.fusion + ")" : "");
    var items = answer.results.map(function (r, i) {
      var x = r.explain || {};
      var parts = [];
      if (x.denseScore !== undefined) parts.push(part("dense", num(x.denseScore) + (x.denseRank ? " (#" + x.denseRank + ")" : "")));
      if (x.sparseScore !== undefined) parts.push(part("BM25", num(x.sparseScore) + (x.sparseRank ? " (#" + x.sparseRank + ")" : "")));
      if (x.fusion && x.denseScore !== undefined && x.sparseScore !== undefined) parts.push(part("fusion", x.fusion));
      else if (x.fusion && q.hybrid) parts.push(part("fusion", x.fusion + (x.denseScore === undefined ? ", BM25 side only" : ", dense side only")));
      if (x.vectorScores) Object.keys(x.vectorScores).forEach(function (name) { parts.push(part("vector " + (name || "main"), num(x.vectorScores[name]))); });
      if (x.rerankScore !== undefined) parts.push(part("rerank", num(x.rerankScore)));
      if (x.mmrPenalty !== undefined) parts.push(part("MMR penalty", num(x.mmrPenalty)));
      var bm25 = null;
      if (x.bm25 && Object.keys(x.bm25.terms).length) {
        bm25 = el("table", { class: "bm25" },
          el("tr", null, ["term", "tf", "df", "idf", "weight", "score"].map(function (h) { return el("th", null, h); })),
          Object.keys(x.bm25.terms).map(function (t) {
            var e = x.bm25.terms[t];
            return el("tr", null, el("td", { class: "mono" }, t), el("td", null, num(e.tf, 2)), el("td", null, int(e.df)), el("td", null, num(e.idf, 3)), el("td", null, num(e.queryWeight, 2)), el("td", null, num(e.score)));
          }),
          el("tr", null, el("td", { colspan: "6", class: "muted" }, "k1 " + x.bm25.k1 + " · b " + x.bm25.b + " · " + int(x.bm25.docs) + " docs · length " + num(x.bm25.length, 0) + " (mean " + num(x.bm25.avgLength, 1) + ")")));
      }
      return el("li", { "data-id": r.id },
        el("div", { class: "result-head" },
          el("span", { class: "rank" }, String(i + 1)),
          el("button", { type: "button", class: "link mono", onclick: function () { openRecord(r.namespace, r.id); } }, r.id),
          r.namespace ? el("span", { class: "muted mono" }, nsName(r.namespace)) : null,
          el("span", { class: "score" }, num(r.score))),
        el("div", { class: "meta-line", title: pairs(r.metadata) }, pairs(r.metadata)),
        el("div", { class: "explain" }, parts),
        bm25);
    });
    $("search-results").replaceChildren.apply($("search-results"), items);
  }

  function start() {
    $("records-form").addEventListener("submit", function (e) {
      e.preventDefault();
      state.records.cursors = [null];
      state.records.page = 0;
      loadRecords();
    });
    $("records-next").addEventListener("click", function () { state.records.page++; loadRecords(); });
    $("records-prev").addEventListener("click", function () { if (state.records.page > 0) { state.records.page--; loadRecords(); } });
    $("search-form").addEventListener("submit", function (e) { e.preventDefault(); state.search = null; runSearch(); });
    document.querySelectorAll("input[name=mode]").forEach(function (r) { r.addEventListener("change", syncMode); });
    // Enter in a filter box applies it (Shift+Enter for a new line), as in the other fields.
    document.querySelectorAll("textarea").forEach(function (t) {
      t.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); t.form.requestSubmit(); }
      });
    });
    window.addEventListener("hashchange", route);
    loaders.records = loadRecords;
    loaders.search = function () { $("search-text").focus(); };
    api("GET", "/api/overview").then(function (o) {
      state.overview = o;
      renderOverview(o);
      document.body.dataset.ready = "1";
      route();
    }, function (e) { showError($("global-error"), e); });
    route();
  }

  return { $: $, el: el, api: api, int: int, num: num, nsName: nsName, showError: showError, clearError: clearError, readFilter: readFilter,
    loaders: loaders, openRecord: openRecord, start: start };
})();
`;

/** The whole script: the views above, then the map, then the start. */
export const CLIENT_JS = `${CLIENT_CORE_JS}\n${CLIENT_MAP_JS}\ndocument.addEventListener("DOMContentLoaded", UI.start);\n`;

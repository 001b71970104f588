/**
 * The inspector's page: its markup and its style sheet, as strings the server answers with
 * (so the package needs no asset files, and no request can name a file). The behaviour is
 * client.ts's script.
 *
 * @module
 */

/** The one HTML page: four views (overview, records, search, map), filled in by /app.js. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vectlite inspector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="top">
  <div class="brand">vectlite <span>inspector</span></div>
  <div class="file" id="file-name" title=""></div>
  <span class="badge" id="read-only">read-only</span>
  <nav id="tabs">
    <a href="#overview" data-view="overview">Overview</a>
    <a href="#records" data-view="records">Records</a>
    <a href="#search" data-view="search">Search</a>
    <a href="#map" data-view="map">Map</a>
  </nav>
</header>
<main>
  <div class="error" id="global-error" hidden></div>

  <section id="view-overview" class="view">
    <div class="cards" id="overview-cards"></div>
    <h2>Namespaces</h2>
    <table class="grid" id="namespace-table">
      <thead><tr><th>namespace</th><th class="num">records</th><th class="num">deleted slots</th><th>main vectors</th><th>named vector spaces</th><th>multi-vectors</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="note" id="overview-note"></p>
  </section>

  <section id="view-records" class="view" hidden>
    <form class="controls" id="records-form">
      <label>Namespace <select id="records-namespace" class="ns-select"></select></label>
      <label class="grow">Filter (JSON) <textarea id="records-filter" rows="1" spellcheck="false" placeholder='{"source": "blog", "year": {"$gte": 2022}}'></textarea></label>
      <label>Per page <select id="records-limit"><option>10</option><option selected>25</option><option>50</option><option>100</option></select></label>
      <button type="submit" class="primary" id="records-apply">Apply</button>
    </form>
    <div class="error" id="records-error" hidden></div>
    <div class="pager">
      <span id="records-status"></span>
      <span class="spacer"></span>
      <button type="button" id="records-prev" disabled>&larr; Previous</button>
      <button type="button" id="records-next" disabled>Next &rarr;</button>
    </div>
    <div class="split">
      <div class="table-wrap"><table class="grid clickable" id="records-table"><thead></thead><tbody></tbody></table></div>
      <aside class="record" id="record-view" hidden></aside>
    </div>
  </section>

  <section id="view-search" class="view" hidden>
    <form class="controls stacked" id="search-form">
      <div class="row">
        <div class="segmented" role="radiogroup">
          <label><input type="radio" name="mode" value="text" checked> Text</label>
          <label><input type="radio" name="mode" value="similar"> More like a record</label>
        </div>
        <label id="search-id-label" hidden>Record id <input type="text" id="search-id" placeholder="doc-42" autocomplete="off"></label>
        <label id="search-vector-label" hidden>Vector <select id="search-vector"><option value="">main</option></select></label>
        <label class="grow" id="search-text-label">Words <input type="text" id="search-text" placeholder="reset password" autocomplete="off"></label>
        <button type="submit" class="primary" id="search-run">Search</button>
      </div>
      <div class="row">
        <label>Namespace <select id="search-namespace" class="ns-select" data-all="1"></select></label>
        <label>k <input type="number" id="search-k" value="10" min="1" max="100"></label>
        <label>Fusion <select id="search-fusion"><option value="linear">linear</option><option value="rrf">rrf</option></select></label>
        <label>MMR &lambda; (0 to 1) <input type="number" id="search-mmr" min="0" max="1" step="0.1" placeholder="off"></label>
        <label>Rerank: words found in <input type="text" id="search-rerank" placeholder="metadata field" autocomplete="off"></label>
        <label class="grow">Filter (JSON) <textarea id="search-filter" rows="1" spellcheck="false" placeholder='{"year": {"$gte": 2022}}'></textarea></label>
      </div>
    </form>
    <p class="note" id="search-hint"></p>
    <div class="error" id="search-error" hidden></div>
    <div class="stats" id="search-stats"></div>
    <ol class="results" id="search-results"></ol>
  </section>

  <section id="view-map" class="view" hidden>
    <form class="controls" id="map-form">
      <label>Namespace <select id="map-namespace" class="ns-select" data-all="1"></select></label>
      <label>Vectors <select id="map-vector"><option value="">main</option></select></label>
      <label>Colour by <select id="map-color"><option value="">(nothing)</option></select></label>
      <label>Points <select id="map-sample"><option>500</option><option selected>2000</option><option>5000</option></select></label>
      <label class="grow">Filter (JSON) <textarea id="map-filter" rows="1" spellcheck="false" placeholder='{"source": "docs"}'></textarea></label>
      <button type="submit" class="primary" id="map-draw">Draw</button>
    </form>
    <div class="error" id="map-error" hidden></div>
    <div class="stats" id="map-stats"></div>
    <div class="map-wrap">
      <div class="map-box" id="map-box"><div class="tooltip" id="map-tooltip" hidden></div></div>
      <ul class="legend" id="map-legend"></ul>
    </div>
  </section>
</main>
</body>
</html>
`;

/** The style sheet: a light, dense layout that reads well at 1280 px and still works narrow. */
export const PAGE_CSS = `
:root { --ink: #1d2330; --muted: #667085; --line: #e3e7ee; --bg: #f6f7fa; --card: #fff; --accent: #3558d8; --accent-soft: #e8edfc; --bad: #b42318; --bad-soft: #fef3f2; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
code, pre, .mono, textarea, td.id { font-family: ui-monospace, "SFMono-Regular", Menlo, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
header.top { display: flex; align-items: center; gap: 16px; padding: 10px 24px; background: #111827; color: #fff; position: sticky; top: 0; z-index: 5; }
.brand { font-weight: 700; font-size: 16px; letter-spacing: .2px; }
.brand span { font-weight: 400; color: #9aa4b2; }
.file { color: #cbd2dc; font-family: ui-monospace, monospace; font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 38vw; }
.badge { background: #14532d; color: #bbf7d0; border-radius: 10px; padding: 1px 8px; font-size: 11.5px; }
nav { margin-left: auto; display: flex; gap: 4px; }
nav a { color: #cbd2dc; text-decoration: none; padding: 6px 12px; border-radius: 6px; }
nav a:hover { background: #1f2937; color: #fff; }
nav a.active { background: var(--accent); color: #fff; }
main { padding: 20px 24px 40px; max-width: 1400px; margin: 0 auto; }
h2 { font-size: 15px; margin: 24px 0 8px; }
h3 { font-size: 13px; margin: 16px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 19px; font-weight: 600; margin-top: 2px; overflow-wrap: anywhere; }
.card .sub { color: var(--muted); font-size: 12px; }
table.grid { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
table.grid th, table.grid td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: baseline; }
table.grid th { background: #f0f2f6; font-weight: 600; font-size: 12.5px; color: #475467; }
table.grid td.num, table.grid th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.grid tr:last-child td { border-bottom: 0; }
table.clickable tbody tr { cursor: pointer; }
table.clickable tbody tr:hover { background: var(--accent-soft); }
table.clickable tbody tr.selected { background: #dbe4fb; }
td.id { white-space: nowrap; }
td .cell { max-width: 300px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.controls { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.controls label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted); }
.controls label.grow { flex: 1 1 260px; }
.controls label.wide { flex-basis: 100%; }
.controls.stacked { display: block; }
.controls.stacked .row + .row { margin-top: 10px; }
.controls .row { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; }
input, select, textarea { font: inherit; color: var(--ink); border: 1px solid #cfd5df; border-radius: 6px; padding: 5px 8px; background: #fff; min-height: 32px; }
textarea { resize: vertical; min-height: 32px; }
input[type=number] { width: 90px; }
input:focus, select:focus, textarea:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
button { font: inherit; border: 1px solid #cfd5df; background: #fff; border-radius: 6px; padding: 5px 12px; cursor: pointer; min-height: 32px; }
button:disabled { color: #a0a8b5; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
button.link { border: 0; background: none; color: var(--accent); padding: 0; min-height: 0; }
.segmented { display: flex; gap: 0; border: 1px solid #cfd5df; border-radius: 6px; overflow: hidden; align-self: flex-end; }
.segmented label { flex-direction: row; align-items: center; gap: 6px; padding: 6px 10px; color: var(--ink); font-size: 13px; cursor: pointer; }
.segmented label:has(input:checked) { background: var(--accent-soft); }
.error { margin: 12px 0; padding: 10px 12px; border: 1px solid #fecdca; background: var(--bad-soft); color: var(--bad); border-radius: 8px; white-space: pre-wrap; }
.error .code { font-weight: 700; margin-right: 6px; }
.error .path { margin-top: 4px; font-size: 12.5px; }
.error .path code { background: #fee4e2; border-radius: 4px; padding: 0 4px; }
.note { color: var(--muted); font-size: 12.5px; }
.pager { display: flex; align-items: center; gap: 8px; margin: 12px 0 8px; }
.spacer { flex: 1; }
.split { display: flex; gap: 16px; align-items: flex-start; }
.table-wrap { flex: 1 1 auto; min-width: 0; overflow-x: auto; }
aside.record { flex: 0 0 400px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; position: sticky; top: 64px; max-height: calc(100vh - 84px); overflow: auto; }
aside.record h2 { margin-top: 0; font-size: 17px; overflow-wrap: anywhere; }
pre.json { white-space: pre-wrap; overflow-wrap: anywhere; background: #f8f9fb; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 0; overflow: auto; max-height: 320px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.terms { display: flex; flex-wrap: wrap; gap: 4px; }
.chip { background: var(--accent-soft); color: #243b8f; border-radius: 10px; padding: 1px 8px; font-size: 12px; }
.chip b { font-weight: 600; }
.stats { color: var(--muted); font-size: 12.5px; margin: 12px 0 6px; }
ol.results { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column; gap: 8px; }
ol.results li { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.result-head { display: flex; align-items: baseline; gap: 10px; }
.rank { color: var(--muted); font-variant-numeric: tabular-nums; width: 26px; }
.score { margin-left: auto; font-variant-numeric: tabular-nums; font-weight: 600; }
.meta-line { color: #475467; margin: 2px 0 6px 36px; font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.explain { margin-left: 36px; display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 12.5px; }
.explain .part { color: var(--muted); }
.explain .part b { color: var(--ink); font-weight: 600; font-variant-numeric: tabular-nums; }
table.bm25 { margin: 6px 0 0 36px; border-collapse: collapse; font-size: 12px; }
table.bm25 th, table.bm25 td { padding: 2px 10px 2px 0; text-align: right; font-variant-numeric: tabular-nums; }
table.bm25 th:first-child, table.bm25 td:first-child { text-align: left; }
table.bm25 th { color: var(--muted); font-weight: 500; }
.map-wrap { display: flex; gap: 16px; align-items: flex-start; }
.map-box { position: relative; flex: 1 1 auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; min-height: 200px; }
.map-box svg { display: block; width: 100%; height: auto; }
.map-box circle { stroke: rgba(255,255,255,.9); stroke-width: .6; }
.map-box circle:hover { stroke: #111827; stroke-width: 2; }
.tooltip { position: absolute; pointer-events: none; background: #111827; color: #fff; padding: 4px 8px; border-radius: 6px; font-size: 12px; white-space: nowrap; transform: translate(12px, -50%); }
ul.legend { list-style: none; margin: 0; padding: 10px 12px; flex: 0 0 220px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; font-size: 12.5px; max-height: 640px; overflow: auto; }
ul.legend:empty { display: none; }
ul.legend li { display: flex; align-items: center; gap: 8px; padding: 2px 0; }
.swatch { width: 12px; height: 12px; border-radius: 50%; flex: 0 0 12px; }
.gradient { height: 10px; border-radius: 5px; flex: 1; }
.muted { color: var(--muted); }
@media (max-width: 900px) { .split, .map-wrap { flex-direction: column; } aside.record { position: static; flex-basis: auto; width: 100%; max-height: none; } ul.legend { flex-basis: auto; width: 100%; } }
`;

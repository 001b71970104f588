/**
 * `vectlite ui` in a real browser: Debian's Chromium (/usr/bin/chromium, from
 * scripts/setup-browser.sh) driven headless by playwright-core. Builds a database like the
 * demo's, starts the CLI's inspector on it as a child process, and goes through every view as a
 * user would (overview, a filter with paging, a bad filter, a record, a text search with its
 * explanation, "more like this", the map with a hover), asserting what the page shows against
 * the database's own figures, and saving a screenshot of each view in test-artifacts/ui/.
 * Exits 1 on the first failed check; scripts/test.sh counts it as one gate.
 *
 *   node --import tsx scripts/browser-test.ts
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { chromium, type Page } from "playwright-core";
import * as vectlite from "../mod.ts";
import { buildDemoDatabase } from "../tests/inspector-db.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const ARTIFACTS = join(ROOT, "test-artifacts", "ui");
const CLI = join(ROOT, "cli", "vectlite.ts");

if (!existsSync(CHROMIUM)) {
  console.error(`browser-test: ${CHROMIUM} is missing: run scripts/setup-browser.sh as root (apt-get install chromium)`);
  process.exit(1);
}
mkdirSync(ARTIFACTS, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "vectlite-browser-"));
let child: ChildProcess | undefined;
let checks = 0;

/** One named check: printed when it passes; the first failure ends the run. */
async function check(name: string, fn: () => Promise<void>): Promise<void> {
  await fn();
  checks++;
  console.log(`ok: ${name}`);
}

/** Starts `vectlite ui` through the same Node + tsx as this script; resolves its URL. */
function startInspector(db: string): Promise<string> {
  child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), CLI, "ui", db, "--port", "0"], {
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vectlite ui printed no URL in 30 s: ${out}${err}`)), 30_000);
    child!.stdout!.on("data", (d) => {
      out += d;
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child!.once("exit", (code) => reject(new Error(`vectlite ui exited with ${code}: ${out}${err}`)));
  });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

async function main(): Promise<void> {
  const db = join(work, "knowledge.vdb");
  const built = await buildDemoDatabase(db);
  // The figures the page must show, from the database itself.
  const expected = await (async () => {
    await using handle = await vectlite.open(db, { readOnly: true });
    const stats = await handle.stats();
    const doc6 = await handle.get("doc-6", { includeVectors: true });
    return {
      stats,
      blog: await handle.count({ filter: { source: "blog" } }),
      doc6,
      doc6Norm: Math.hypot(...doc6!.vector!),
    };
  })();
  const url = await startInspector(db);
  const context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 860 },
  });
  const problems: string[] = [];
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console error: ${m.text()}`);
    });
    // Requests anywhere but the inspector would be a leak: the page has no network of its own.
    page.on("request", (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith("data:")) problems.push(`request outside the inspector: ${r.url()}`);
    });

    await check("overview shows the file's figures", async () => {
      await page.goto(url);
      await page.waitForSelector("body[data-ready='1']");
      const cards = await text(page, "#overview-cards");
      assert.match(cards, new RegExp(`Records\\s+${expected.stats.records.toLocaleString("en-US")}\\s+in 2 namespaces`));
      assert.match(cards, /Dimension\s+48/);
      assert.match(cards, /Metric\s+cosine/);
      assert.match(cards, /Quantization\s+int8/);
      assert.match(cards, /WAL size\s+\d+ B/);
      const rows = page.locator("#namespace-table tbody tr");
      assert.equal(await rows.count(), 2);
      assert.match(await rows.nth(0).innerText(), new RegExp(`"" \\(default\\)\\s+${built.main.toLocaleString("en-US")}\\s+0\\s+HNSW: 1,500 nodes`));
      assert.match(await rows.nth(0).innerText(), /title: 16-d, 500 vectors, HNSW/);
      assert.match(await rows.nth(1).innerText(), /archive\s+40\s+0\s+exact scan/);
      assert.equal(await page.locator("#read-only").isVisible(), true);
      await shot(page, "overview");
    });

    await check("records: a filter, paging, and a bad filter's library error", async () => {
      await page.click("#tabs a[data-view=records]");
      await page.waitForSelector("#records-table tbody tr");
      assert.match(await text(page, "#records-status"), new RegExp(`Records 1–25 of ${built.main.toLocaleString("en-US")} matching`));
      await page.fill("#records-filter", '{"source": "blog"}');
      await page.click("#records-apply");
      await page.waitForFunction((n) => document.getElementById("records-status")!.textContent!.includes(`of ${n} matching`), expected.blog);
      assert.equal(await page.locator("#records-table tbody tr").count(), 25);
      await page.click("#records-next");
      await page.waitForFunction(() => document.getElementById("records-status")!.textContent!.startsWith("Records 26–50"));
      const sources = await page.locator("#records-table tbody tr td:nth-child(3)").allInnerTexts();
      assert.ok(sources.length === 25 && sources.every((s) => s === "blog"), `a page of blog records, found ${sources.join(",")}`);
      await page.fill("#records-filter", '{"year": {"$gtt": 2020}}');
      await page.click("#records-apply");
      await page.waitForSelector("#records-error:not([hidden])");
      const error = await text(page, "#records-error");
      assert.match(error, /INVALID_FILTER/);
      assert.match(error, /invalid filter at year\.\$gtt: unknown operator \$gtt/);
      assert.match(error, /at year\.\$gtt/);
      await shot(page, "records-bad-filter");
      await page.fill("#records-filter", '{"source": "forum"}');
      await page.press("#records-filter", "Enter");
      await page.waitForSelector("#records-error", { state: "hidden" });
    });

    await check("record view: metadata, terms, vector norm, named vectors", async () => {
      await page.click("#records-table tbody tr[data-id='doc-6']");
      await page.waitForSelector("#record-view h2:text('doc-6')");
      const view = await text(page, "#record-view");
      assert.match(view, /"title": "Document 6 about Rust ownership, borrowing and lifetimes"/);
      assert.match(view, new RegExp(`Sparse terms \\(${Object.keys(expected.doc6!.sparse!).length}\\)`, "i"));
      assert.match(view, /ownership/);
      assert.equal(await page.locator("#record-view .norm").first().innerText(), expected.doc6Norm.toFixed(4));
      assert.match(view, /Named vectors\s+title\s+dimension\s+16\s+norm/i);
      await shot(page, "record");
    });

    await check("text search shows BM25 explain per result", async () => {
      await page.click("#tabs a[data-view=search]");
      await page.fill("#search-text", "reset password");
      await page.click("#search-run");
      await page.waitForSelector("#search-results li");
      assert.equal(await page.locator("#search-results li").count(), 10);
      const first = await text(page, "#search-results li:first-child");
      assert.match(first, /reset a forgotten password/);
      assert.match(first, /BM25 \d+\.\d{4} \(#1\)/);
      assert.match(first, /password\s+1\.00\s+\d+\s+\d\.\d{3}/, "the BM25 table has the term's tf, df and idf");
      assert.match(await text(page, "#search-stats"), /10 results · plan \S+ .* terms: password, reset/);
      await shot(page, "search");
    });

    await check("more like this, with MMR, leaves the record out and explains the dense side", async () => {
      await page.fill("#search-mmr", "0.7");
      await page.click("#tabs a[data-view=records]");
      await page.click("#records-table tbody tr[data-id='doc-6']");
      await page.waitForSelector("#more-like-this");
      await page.click("#more-like-this");
      await page.waitForFunction(() => document.getElementById("search-stats")!.textContent!.includes("dense: vector of record doc-6"));
      const ids = await page.locator("#search-results li").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-id")));
      assert.equal(ids.length, 10);
      assert.ok(!ids.includes("doc-6"), "the record itself is left out");
      const first = await text(page, "#search-results li:first-child");
      assert.match(first, /dense 0\.\d{4} \(#\d+\)/);
      assert.match(first, /MMR penalty/);
      assert.match(first, /Rust ownership/, "a neighbour of the same topic");
      await shot(page, "more-like-this");
      await page.fill("#search-mmr", "");
    });

    await check("map: one point per sampled vector, coloured, id on hover", async () => {
      await page.click("#tabs a[data-view=map]");
      await page.waitForSelector("#map-box svg circle");
      const points = await page.locator("#map-box svg circle").count();
      assert.equal(points, built.main, "every vector of namespace \"\" fits the default sample");
      assert.match(await text(page, "#map-stats"), new RegExp(`${built.main.toLocaleString("en-US")} of ${built.main.toLocaleString("en-US")} matching records`));
      const colour = await page.locator("#map-color").inputValue();
      assert.ok(colour !== "", "a field with a few values colours the map");
      assert.ok(await page.locator("#map-legend li .swatch").count() >= 2, "a legend entry per value");
      const fills = await page.locator("#map-box svg circle").evaluateAll((cs) => new Set(cs.map((c) => c.getAttribute("fill"))).size);
      assert.ok(fills >= 2, `points of several colours, found ${fills}`);
      await page.locator("#map-box svg circle").nth(10).hover({ force: true });
      await page.waitForSelector("#map-tooltip:not([hidden])");
      assert.match(await text(page, "#map-tooltip"), /^(doc-\d+|late-note)/);
      await shot(page, "map");
      await page.selectOption("#map-namespace", "archive");
      await page.click("#map-draw");
      await page.waitForFunction(() => document.querySelectorAll("#map-box svg circle").length === 40);
    });

    await check("the page made no request outside the inspector and logged no error", async () => {
      assert.deepEqual(problems, []);
    });
  } finally {
    await context.close();
  }

  await check("SIGTERM stops the inspector cleanly", async () => {
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child!.kill("SIGTERM");
    assert.equal(await exited, 0);
    child = undefined;
  });
  console.log(`browser-test: ${checks} checks passed; screenshots in ${ARTIFACTS}`);
}

try {
  await main();
  rmSync(work, { recursive: true, force: true });
} catch (e) {
  console.error(e);
  console.error(`browser-test: FAILED after ${checks} checks (screenshots so far in ${ARTIFACTS}; work files in ${work})`);
  process.exitCode = 1;
} finally {
  child?.kill("SIGTERM");
}

// Loads calm-audit HTML reports in Debian's Chromium (headless, driven by playwright-core) and
// checks what a reader gets: the page without JavaScript, screenshots at desktop and phone
// widths, a PDF, the filter script under the page's own Content-Security-Policy, and that no
// console error, no request beyond the file itself and no dialog ever happens.
//
// node check-report.mjs <config.json>
//   config: { chromium, out, report, results, rules, hostile, hostileTexts }
//     report   the example report (HTML); results: the same run as JSON; rules: `rules --format json`
//     hostile  a report of hostile names; hostileTexts: texts that must show literally
//     incomplete  a report of a run with a failed source
// Prints one JSON line `{"ok":true,...}` on success; exits 1 with the problems otherwise.

import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const fail = (message) => problems.push(message);
const squash = (s) => s.replace(/\s+/g, " ").trim();

const flags = [
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-default-apps",
  "--disable-extensions",
];
if (process.getuid && process.getuid() === 0) flags.push("--no-sandbox");

const profiles = [];
async function browser(javaScriptEnabled, viewport) {
  // A fresh profile each time, so nothing cached or synced can take part.
  const profile = mkdtempSync(join(tmpdir(), "calm-audit-chromium-"));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: config.chromium,
    headless: true,
    args: flags,
    javaScriptEnabled,
    viewport,
    offline: true,
  });
  return context;
}

// Everything that must not happen on a page, collected per page.
function watch(context, label) {
  const events = [];
  context.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("file:") && !url.startsWith("data:")) events.push(`${label}: request to ${url}`);
  });
  context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    events.push(`${label}: blocked external request ${url}`);
    return route.abort();
  });
  const hook = (page) => {
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") events.push(`${label}: console ${msg.type()}: ${msg.text()}`);
    });
    page.on("pageerror", (error) => events.push(`${label}: page error: ${error.message}`));
    page.on("dialog", (dialog) => {
      events.push(`${label}: a dialog opened: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on("requestfailed", (request) => events.push(`${label}: request failed: ${request.url()}`));
  };
  context.pages().forEach(hook);
  context.on("page", hook);
  return events;
}

async function open(context, file) {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10000);
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return page;
}

const resultsDoc = JSON.parse(readFileSync(config.results, "utf8"));
const results = resultsDoc.results;
const rules = new Map(JSON.parse(readFileSync(config.rules, "utf8")).map((rule) => [rule.code, rule]));
const failing = results.filter((r) => r.status === "fail");
if (failing.length === 0) fail("the example run has no failing result to look for");
const summary = { failingResults: failing.length };

// 1. Without JavaScript: everything a reader needs is visible text, in the right order.
{
  const context = await browser(false, { width: 1280, height: 800 });
  const events = watch(context, "no-js");
  const page = await open(context, config.report);
  const text = squash(await page.locator("body").innerText());
  const expected = new Set();
  for (const r of failing) {
    expected.add(r.code);
    expected.add(r.object.name);
    expected.add(r.message);
    expected.add(`${r.location.path}:${r.location.line}`);
    for (const step of rules.get(r.code)?.remediation ?? [`(no catalog entry for ${r.code})`]) expected.add(step.replaceAll("`", ""));
    if (r.profile) expected.add(`Profile: ${r.profile} (${r.profile_reason})`);
  }
  for (const n of resultsDoc.not_audited ?? []) {
    expected.add(n.name);
    expected.add(n.reason);
  }
  for (const want of expected) if (!text.includes(squash(want))) fail(`no-js: not visible: ${want}`);
  summary.visibleChecks = expected.size;
  // Headings keep their capitals, and code spans are code, not backticks.
  if (!text.includes("Cloud ALM key") || /Cloud alm key/.test(text)) fail("no-js: a heading does not say \"Cloud ALM key\"");
  if (text.includes("`")) fail(`no-js: literal backticks in the page: ${text.slice(Math.max(0, text.indexOf("`") - 40), text.indexOf("`") + 40)}`);
  // The evidence is dated: when, with which calm-audit and catalog, from which inputs.
  for (const want of [`Run started (UTC) ${resultsDoc.run.started}`, `Rule catalog ${resultsDoc.run.catalog_version}`, "Inputs destinations"]) {
    if (!text.includes(want)) fail(`no-js: the run is not stated: ${want}`);
  }
  const h1 = squash(await page.locator("h1").first().innerText());
  if (!/^(FAILED|PASSED|INCOMPLETE)\b/.test(h1)) fail(`no-js: the first heading is not the verdict: ${h1}`);
  const at = (s) => text.indexOf(s);
  if (!(at(h1) < at("Coverage") && at("Coverage") < at(failing[0].code))) fail("no-js: verdict, coverage, results are not in that order");
  if (await page.locator("#filter").isVisible()) fail("no-js: the filter form shows without the script that drives it");
  // Passes are present but folded away.
  const folded = await page.locator("details.folded").count();
  const openFolded = await page.locator("details.folded[open]").count();
  if (folded === 0 || openFolded !== 0) fail(`no-js: expected closed details for passes, found ${folded} (${openFolded} open)`);
  const passRows = await page.locator("details.folded tr[data-status=pass]").count();
  const passes = results.filter((r) => r.status === "pass").length;
  if (passRows !== passes) fail(`no-js: ${passRows} pass rows in the page, ${passes} pass results in the JSON report`);
  summary.h1 = h1;

  // Accessibility: one h1 and no skipped heading level; tables with header cells; the status
  // of every result said in words, not only by colour; text contrast at least WCAG AA (4.5:1).
  const a11y = await page.evaluate(() => {
    const problems = [];
    const levels = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].map((h) => Number(h.tagName[1]));
    if (levels.filter((l) => l === 1).length !== 1) problems.push(`expected one h1, found ${levels.filter((l) => l === 1).length}`);
    levels.forEach((l, i) => {
      if (i > 0 && l > levels[i - 1] + 1) problems.push(`heading level jumps from h${levels[i - 1]} to h${l}`);
    });
    for (const table of document.querySelectorAll("table")) {
      if (!table.querySelector("th")) problems.push("a table without header cells");
    }
    const words = { fail: "FAIL", error: "ERROR", manual: "MANUAL", not_applicable: "N/A", pass: "PASS" };
    for (const el of document.querySelectorAll("[data-status]")) {
      const badge = el.querySelector(".badge");
      if (!badge || !badge.textContent.includes(words[el.dataset.status])) problems.push(`a ${el.dataset.status} result without the word ${words[el.dataset.status]}`);
    }
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    let checked = 0;
    let worst = 21;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest("script,style") || !el.checkVisibility()) continue;
      const [fg, bg] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      checked += 1;
      worst = Math.min(worst, ratio);
      if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}:1 for "${n.textContent.trim().slice(0, 40)}"`);
    }
    return { problems: [...new Set(problems)], checked, worst };
  });
  a11y.problems.forEach((p) => fail(`no-js: accessibility: ${p}`));
  if (a11y.checked < 100) fail(`no-js: contrast checked on only ${a11y.checked} text nodes`);
  summary.contrastChecked = a11y.checked;
  summary.worstContrast = Number(a11y.worst.toFixed(2));

  // A failed source: the verdict says incomplete and the failure comes before the coverage.
  await page.goto(pathToFileURL(config.incomplete).href, { waitUntil: "load" });
  const incomplete = squash(await page.locator("body").innerText());
  const where = (s) => incomplete.indexOf(s);
  if (!incomplete.startsWith("calm-audit") || where("INCOMPLETE") < 0) fail("incomplete: the verdict does not say INCOMPLETE");
  if (!(where("INCOMPLETE") < where("Source failures") && where("Source failures") < where("broken.json:1") && where("broken.json:1") < where("Coverage"))) {
    fail("incomplete: verdict, source failures (naming broken.json), coverage are not in that order");
  }
  await page.screenshot({ path: join(config.out, "incomplete-desktop.png"), fullPage: false });
  summary.noJsEvents = events.length;
  problems.push(...events);
  await context.close();
}

// 2. With JavaScript: the filter runs under the CSP; screenshots at two widths and a PDF.
{
  const context = await browser(true, { width: 1280, height: 800 });
  const events = watch(context, "js");
  const page = await open(context, config.report);
  const filterRan = await page.locator("#filter").isVisible();
  if (!filterRan) fail("js: the filter script did not run (blocked by the CSP?)");
  else {
    const total = await page.locator("[data-status]").count();
    for (const box of await page.locator("#filter input[name=status]").all()) {
      if ((await box.getAttribute("value")) !== "fail") await box.uncheck();
    }
    const shown = await page.locator("[data-status]:not([hidden])").count();
    const shownFail = await page.locator("[data-status=fail]:not([hidden])").count();
    if (shown !== failing.length || shownFail !== failing.length) fail(`js: filter on fail shows ${shown} results (${shownFail} fail), expected ${failing.length}`);
    const countText = await page.locator("#filter-count").innerText();
    if (!countText.includes(`Showing ${failing.length} of ${total}`)) fail(`js: filter count says "${countText}"`);
    await page.locator("#filter input[name=severity][value=error]").uncheck();
    const warnings = await page.locator("[data-status]:not([hidden])").count();
    const expectedWarnings = failing.filter((r) => r.severity !== "error").length;
    if (warnings !== expectedWarnings) fail(`js: filter fail+warning/note shows ${warnings}, expected ${expectedWarnings}`);
  }
  await page.reload({ waitUntil: "load" });

  await page.screenshot({ path: join(config.out, "examples-desktop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => {
    const wider = document.documentElement.scrollWidth - window.innerWidth;
    const culprits = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.getBoundingClientRect().width > 0)
      .slice(-3)
      .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}"> ${el.textContent.replace(/\s+/g, " ").slice(0, 50)}`);
    return { wider, culprits };
  });
  if (overflow.wider > 0) fail(`phone: the page is ${overflow.wider}px wider than a 390px screen: ${overflow.culprits.join("; ")}`);
  // Every line break on a phone falls between words or after a separator of a URL, path or
  // name, never inside a word ("Destin|ation", "S4_BACK|END", "settings.to|ml"); the folded
  // results are opened so that their tables are measured too.
  const breaks = await page.evaluate(() => {
    document.querySelectorAll("details").forEach((d) => (d.open = true));
    const separators = "/._-?&=#:,;|@!+";
    const bad = [];
    let lines = 0;
    const range = document.createRange();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    // Text that is there for screen readers only (a table's header row on a phone) is not laid out for the eye.
    const hidden = (el) => {
      for (let e = el; e && e !== document.body; e = e.parentElement) if (e.clientWidth <= 1 && e.clientHeight <= 1) return true;
      return false;
    };
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent;
      if (!el || el.closest("script,style") || !el.checkVisibility() || text.trim().length < 2 || hidden(el)) continue;
      let top = null;
      let before = " ";
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (/\s/.test(c)) {
          before = " ";
          continue;
        }
        range.setStart(n, i);
        range.setEnd(n, i + 1);
        const rects = range.getClientRects();
        if (rects.length === 0) continue;
        if (top !== null && rects[0].top > top + 2) {
          lines += 1;
          if (before !== " " && !separators.includes(before)) bad.push(`${text.slice(Math.max(0, i - 15), i)}|${text.slice(i, i + 15)}`);
        }
        top = rects[0].top;
        before = c;
      }
    }
    document.querySelectorAll("details").forEach((d) => (d.open = false));
    return { bad, lines };
  });
  breaks.bad.forEach((b) => fail(`phone: a word is broken in the middle: "${b}"`));
  if (breaks.lines < 50) fail(`phone: only ${breaks.lines} wrapped lines measured`);
  summary.phoneLineBreaks = breaks.lines;
  await page.screenshot({ path: join(config.out, "examples-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.emulateMedia({ media: "print" });
  if (await page.locator("#filter").isVisible()) fail("print: the filter form is printed");
  const pdf = join(config.out, "examples.pdf");
  await page.pdf({ path: pdf, format: "A4", margin: { top: "15mm", bottom: "15mm", left: "12mm", right: "12mm" } });
  const head = readFileSync(pdf).subarray(0, 5).toString("latin1");
  if (head !== "%PDF-") fail("print: the PDF does not start with %PDF-");
  summary.pdfBytes = statSync(pdf).size;
  summary.desktopPng = statSync(join(config.out, "examples-desktop.png")).size;
  summary.phonePng = statSync(join(config.out, "examples-phone.png")).size;
  summary.jsEvents = events.length;
  problems.push(...events);
  await context.close();
}

// 3. Hostile names: rendered as text, never as markup, with JavaScript on.
{
  const context = await browser(true, { width: 1280, height: 800 });
  const events = watch(context, "hostile");
  const page = await open(context, config.hostile);
  const text = squash(await page.locator("body").innerText());
  for (const want of config.hostileTexts) if (!text.includes(squash(want))) fail(`hostile: not shown as text: ${want}`);
  const scripts = await page.locator("script").count();
  const images = await page.locator("img").count();
  const handlers = await page.evaluate(() => [...document.querySelectorAll("*")].filter((el) => [...el.attributes].some((a) => a.name.startsWith("on"))).length);
  if (scripts !== 1 || images !== 0 || handlers !== 0) fail(`hostile: markup from the inputs: ${scripts} script(s), ${images} img, ${handlers} element(s) with on* handlers`);
  await page.screenshot({ path: join(config.out, "hostile-desktop.png"), fullPage: true });
  summary.hostileEvents = events.length;
  problems.push(...events);
  await context.close();
}

for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(JSON.stringify({ ok: true, ...summary }));

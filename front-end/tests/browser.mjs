// The reference front end in a real browser (Debian's Chromium, driven by
// playwright-core): the seed page rebuilt from the API, the listing with
// search, facets and "load more", a not-found page, an old slug, and the
// API down. Every page: no console error, no failed request, no serious or
// critical axe-core violation. Screenshots go to test-results/.
//
//   API_URL=http://127.0.0.1:8080 FRONT_URL=http://127.0.0.1:4173 PARUTION_TOKEN=prt_… node tests/browser.mjs
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const api = process.env.API_URL ?? "http://127.0.0.1:8080";
const front = process.env.FRONT_URL ?? "http://127.0.0.1:4173";
const token = process.env.PARUTION_TOKEN;
if (!token) throw new Error("PARUTION_TOKEN must hold an API token");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
mkdirSync("test-results", { recursive: true });

const SEED = "concertation-fournisseurs-ia-ayants-droit";
const TITLE =
  "Concertation entre fournisseurs d’IA et ayants droit : un espace de dialogue et de négociation structuré mais un partage de la valeur encore insuffisant";
let failures = 0;
function check(condition, what) {
  console.log(`${condition ? "ok" : "FAILED"}: ${what}`);
  if (!condition) failures += 1;
}

async function write(method, path, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

// Enough publications for a second page of ten.
const listed = await (await fetch(`${api}/api/v1/publications?per_page=1`)).json();
for (let index = listed.pagination.total; index < 14; index += 1) {
  await write("POST", "/api/v1/publications", {
    title: `Étude de démonstration n° ${index + 1}`,
    summary: "Une publication pour parcourir les pages.",
    status: "published",
    published_at: `2024-0${(index % 9) + 1}-15T09:00:00Z`,
    categories: ["etudes-publications"],
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/** Opens a page and watches it; `expected` lists console messages the test itself causes. */
async function visit(name, path, { width = 1280, expected = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: "fr-FR" });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !expected.some((text) => message.text().includes(text))) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  await page.goto(`${front}${path}`);
  await page.waitForSelector("main h1");
  const done = async () => {
    await page.addScriptTag({ content: axeSource });
    const results = await page.evaluate(async () => await window.axe.run(document));
    const serious = results.violations.filter((violation) => ["serious", "critical"].includes(violation.impact));
    for (const violation of serious) problems.push(`axe ${violation.impact}: ${violation.id} (${violation.nodes.length})`);
    await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
    check(problems.length === 0, `${name}: no console error, failed request or serious axe violation ${problems.join("; ")}`);
    await context.close();
  };
  return { page, done };
}

// The seed page, rebuilt.
{
  const { page, done } = await visit("publication", `/publications/${SEED}`);
  await page.waitForSelector("article .body blockquote");
  const crumbs = await page.locator("nav.breadcrumb li").allInnerTexts();
  check(crumbs.length === 2 && /accueil/i.test(crumbs[0]) && /études & publications/i.test(crumbs[1]), `breadcrumb: ${crumbs.join(" › ")}`);
  check((await page.locator("h1").innerText()) === TITLE, "the exact title");
  check((await page.locator("article time").innerText()) === "05/12/2025", "the date as the page shows it");
  const labels = (await page.locator("ul.labels li").allInnerTexts()).map((label) => label.toLowerCase());
  check(labels.includes("études & publications") && labels.includes("veille industrie phonographique"), `labels: ${labels}`);
  check((await page.locator(".lead").innerText()).startsWith("Le 2 juin dernier"), "the lead");
  check((await page.locator("blockquote").innerText()).includes("Je veux redire"), "the quotation");
  const related = await page.locator("aside.related li a").allInnerTexts();
  check(
    related.some((title) => title.startsWith("Prévenir en amont les violences")) &&
      related.some((title) => title.startsWith("L’emploi dans les lieux et organisations de concerts")),
    `related: ${related.join(" | ")}`,
  );
  check((await page.getAttribute("html", "lang")) === "fr", "the document's language");
  // The cover, with its text alternative and its copies for srcset.
  const cover = page.locator("article img.cover");
  await cover.waitFor();
  const alt = await cover.getAttribute("alt");
  const srcset = (await cover.getAttribute("srcset")) ?? "";
  check(Boolean(alt) && alt.startsWith("Bandeaux bleus"), `the cover's alt: ${alt}`);
  check(/ 320w, .* 640w, .* 1200w$/.test(srcset), `the cover's srcset: ${srcset}`);
  check(await cover.evaluate((image) => image.complete && image.naturalWidth > 0), "the cover is loaded");
  // The report, as the ministry's pages offer it.
  const download = page.locator("section.downloads a");
  const label = await download.innerText();
  check(/^Télécharger le rapport \(PDF, \d+(,\d)? (ko|Mo)\)$/.test(label), `the download: ${label}`);
  const file = await fetch(await download.getAttribute("href"));
  const bytes = new Uint8Array(await file.arrayBuffer());
  check(
    file.status === 200 && file.headers.get("content-type") === "application/pdf" && new TextDecoder().decode(bytes.slice(0, 5)) === "%PDF-",
    `the report downloads: ${file.status} ${file.headers.get("content-type")}`,
  );
  const size = bytes.length >= 1000 ? `${new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 }).format(bytes.length / 1000)} ko` : "";
  check(label.includes(size), `the size shown is the file's, ${size}`);
  await done();
}

// The English version, and back: the switch, the document's language, the
// alternates for search engines and the breadcrumb in each language.
{
  const ENGLISH = "consultation-ai-providers-rights-holders";
  const { page, done } = await visit("translations", `/publications/${SEED}`);
  const toEnglish = page.locator("nav.versions a");
  await toEnglish.waitFor();
  check((await toEnglish.innerText()) === "English version" && (await toEnglish.getAttribute("hreflang")) === "en", "the French page offers the English version");
  const alternate = await page.locator('head link[rel="alternate"][hreflang="en"]').getAttribute("href");
  check(alternate === `${front}/publications/${ENGLISH}`, `the French page's alternate: ${alternate}`);
  await toEnglish.click();
  await page.waitForFunction((slug) => document.documentElement.lang === "en" && location.pathname === `/publications/${slug}`, ENGLISH);
  await page.waitForSelector("nav.versions a");
  check((await page.locator("h1").innerText()).startsWith("Consultation between AI providers"), "the English version opens");
  const englishCrumbs = await page.locator("nav.breadcrumb li").allInnerTexts();
  check(/^home$/i.test(englishCrumbs[0]) && /^studies & publications$/i.test(englishCrumbs[1] ?? ""), `the English breadcrumb: ${englishCrumbs.join(" › ")}`);
  const englishLabels = (await page.locator("ul.labels li").allInnerTexts()).map((label) => label.toLowerCase());
  check(englishLabels.includes("recorded music industry watch"), `English labels: ${englishLabels}`);
  const toFrench = page.locator("nav.versions a");
  check((await toFrench.innerText()) === "Version française" && (await toFrench.getAttribute("lang")) === "fr", "the English page offers the French version");
  const back = await page.locator('head link[rel="alternate"][hreflang="fr"]').getAttribute("href");
  check(back === `${front}/publications/${SEED}` && (await page.locator('head link[hreflang="en"]').count()) === 0, `the English page's alternate: ${back}`);
  await toFrench.click();
  await page.waitForFunction((slug) => document.documentElement.lang === "fr" && location.pathname === `/publications/${slug}`, SEED);
  await page.waitForSelector("nav.versions a");
  const frenchCrumbs = await page.locator("nav.breadcrumb li").allInnerTexts();
  check(/^accueil$/i.test(frenchCrumbs[0]) && /^études & publications$/i.test(frenchCrumbs[1] ?? ""), `back in French: ${frenchCrumbs.join(" › ")}`);
  await done();
}

// The listing shows the covers.
{
  const { page, done } = await visit("listing covers", "/");
  const thumbnail = page.locator(`ol.results li:has(a[href="/publications/${SEED}"]) img.thumbnail`);
  await thumbnail.waitFor();
  check(Boolean(await thumbnail.getAttribute("alt")) && (await thumbnail.getAttribute("srcset")).includes("320w"), "the listing shows the article's cover");
  await done();
}

// Following a related link.
{
  const { page, done } = await visit("related", `/publications/${SEED}`);
  await page.waitForSelector("aside.related a");
  const target = page.locator("aside.related a").first();
  const title = await target.innerText();
  await target.click();
  await page.waitForFunction((expected) => document.querySelector("main h1")?.textContent === expected, title);
  check(new URL(page.url()).pathname.startsWith("/publications/") && !page.url().includes(SEED), `a related link opens ${page.url()}`);
  await done();
}

// The listing: search, a facet chip, the next page by cursor; on a phone.
{
  const { page, done } = await visit("listing", "/", { width: 390 });
  await page.getByLabel("Rechercher une publication").fill("developpeurs");
  await page.getByRole("button", { name: "Rechercher" }).click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get("q") === "developpeurs");
  await page.waitForSelector("ol.results li");
  const found = await page.locator("ol.results h2").allInnerTexts();
  check(found.includes(TITLE), "a search for developpeurs finds the article");
  await done();
}
{
  const { page, done } = await visit("facets", "/");
  await page.waitForSelector("button.chip");
  const chip = page.locator(".facet[aria-label='Années'] button.chip").first();
  const promised = Number(await chip.getAttribute("data-count"));
  await chip.click();
  await page.waitForFunction(() => new URL(location.href).searchParams.has("year"));
  await page.waitForFunction((count) => document.querySelector(".count")?.textContent?.startsWith(`${count} publication`), promised);
  check((await page.locator("ol.results li").count()) === Math.min(promised, 10), `the chip promised ${promised}, the list holds them`);
  await done();
}
{
  const { page, done } = await visit("load-more", "/");
  await page.waitForSelector("ol.results li");
  const first = await page.locator("ol.results li").count();
  await page.getByRole("button", { name: "Charger plus de publications" }).click();
  await page.waitForFunction((count) => document.querySelectorAll("ol.results li").length > count, first);
  const titles = await page.locator("ol.results h2").allInnerTexts();
  check(first === 10 && titles.length > 10 && new Set(titles).size === titles.length, `load more: ${first} then ${titles.length}, none twice`);
  await done();
}

// The coming releases, in Paris time on both sides of a daylight-saving
// change (the last Sunday of March 2027: 02:00 becomes 03:00).
{
  await write("POST", "/api/v1/publications", {
    title: "Chiffres clés du spectacle vivant",
    status: "scheduled",
    published_at: "2027-03-28T00:30:00Z",
    announce: true,
    categories: ["etudes-publications"],
  });
  await write("POST", "/api/v1/publications", {
    title: "Statistiques de la fréquentation",
    status: "scheduled",
    published_at: "2027-03-28T01:30:00Z",
    announce: true,
  });
  await write("POST", "/api/v1/publications", { title: "Étude sous embargo", status: "scheduled", published_at: "2027-01-05T09:00:00Z" });
  const { page, done } = await visit("schedule", "/");
  await page.getByRole("link", { name: "Voir les publications à paraître" }).click();
  await page.waitForSelector("ol.releases > li");
  const items = await page.locator("ol.releases > li").allInnerTexts();
  check(items.length === 2 && !items.some((item) => item.includes("embargo")), `only announced releases: ${items.join(" | ")}`);
  check(items[0].includes("Chiffres clés") && items[0].includes("dimanche 28 mars 2027 à 01:30"), `before the change, UTC+1: ${items[0]}`);
  check(items[1].includes("Statistiques") && items[1].includes("dimanche 28 mars 2027 à 03:30"), `after the change, UTC+2: ${items[1]}`);
  const calendar = await page.getByRole("link", { name: /calendrier/ }).getAttribute("href");
  check(calendar === `${api}/api/v1/schedule.ics`, `the calendar link: ${calendar}`);
  await done();
}

// Not found; an old slug; the API down.
{
  // Chromium itself logs the API's 404 answer: expected here, not an error of the page.
  const { page, done } = await visit("not-found", "/publications/inconnue", { expected: ["404 (Not Found)"] });
  check((await page.locator("h1").innerText()) === "Page introuvable", "an unknown slug shows a not-found page");
  await done();
}
{
  await write("PATCH", "/api/v1/publications/emploi-lieux-concerts-wallonie-bruxelles", { slug: "emploi-concerts-wallonie-bruxelles" });
  const { page, done } = await visit("old-slug", "/publications/emploi-lieux-concerts-wallonie-bruxelles");
  await page.waitForFunction(() => location.pathname === "/publications/emploi-concerts-wallonie-bruxelles");
  check((await page.locator("h1").innerText()).startsWith("L’emploi dans les lieux"), "an old slug ends on the new URL");
  await done();
}
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route(`${api}/**`, (route) => route.abort());
  await page.goto(`${front}/`);
  await page.waitForSelector("main [role=alert]");
  check((await page.locator("main [role=alert]").innerText()).includes("injoignable"), "the API down shows a clear message");
  await page.screenshot({ path: "test-results/api-down.png" });
  await context.close();
}

// The API's own documentation (Swagger UI, served by the binary) runs under
// its content security policy: rendered, every operation listed, no
// violation reported.
{
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  const answer = await page.goto(`${api}/docs/`);
  await page.waitForSelector(".swagger-ui .opblock", { timeout: 20000 });
  const policy = answer.headers()["content-security-policy"] ?? "";
  const operations = await page.locator(".swagger-ui .opblock").count();
  check(policy.includes("script-src 'self'") && policy.includes("frame-ancestors 'none'"), `/docs has its policy: ${policy}`);
  check(operations > 40 && problems.length === 0, `/docs renders ${operations} operations, no error: ${problems.join("; ")}`);
  await page.screenshot({ path: "test-results/docs.png" });
  await context.close();
}

await browser.close();
console.log(failures === 0 ? "the front end works in a real browser" : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);

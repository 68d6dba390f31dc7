// End-to-end tests of the web UI: Debian's Chromium, driven by playwright-core, against
// a real `hearth serve` on the real default model (SmolLM2) with a fresh HEARTH_HOME.
// The browser logs in with the one-time link `hearth serve` prints (the page carries no
// token; without the login the API refuses and the page says how to log in; the link
// works once). A chat streams, is saved, and is found by search after a reload; a PDF is summarized
// with page references; a paragraph is translated; the models page shows the default
// model; a remote provider (a mock OpenAI-compatible server here) connected on the
// Settings page answers a chat whose answer says it was sent there, and offline mode
// stops it without a connection; XSS payloads in an answer and in a document never
// execute; a built-in workflow runs on pasted text and its table exports as CSV, and a
// prompt from the library fills the chat's composer; the Models page compares every
// model (where it runs, speed measured from the answers above) and recommends one; a
// reasoning model's answer (imported: SmolLM2 does not think) shows its thinking folded
// above the answer and is searched in it only with the setting on; a model that calls
// tools (Qwen2.5-Coder, on a second `hearth serve` with the filesystem MCP server) asks
// to read a file, waits for "Allow once", shows the result folded, answers, and the call
// is in the audit log; a
// chat refuses an adapter file that does not exist with the reason; and, last because it
// wipes the shared home, Settings' "Delete everything" empties the history. Screenshots
// of every page go to ui/e2e/screenshots/, and each page photographed is checked with
// axe-core (axe.mjs: a serious or critical violation fails).
//
//   node ui/e2e/run.mjs            (after `cargo build --release` and `npm run build`)
//   HEARTH_E2E_ONLY=workflow node ui/e2e/run.mjs     (only the tests whose names match;
//                                                     matching none is a failure)

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { checkAccessibility } from "./axe.mjs";
import { filesPresent, hearthBin, minilm, root, serveHearth, smollm2 as model, ui } from "./hearth-process.mjs";

const pdf = join(root, ".testdata/pdf-parse/04-valid.pdf");
// A printed-and-scanned page with no text layer (scripts/fetch-ocr-samples.sh).
const scannedPdf = join(root, ".testdata/ocr/epson.pdf");
const toolModel = join(root, ".models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf");
const filesystemServer = join(root, ".test-tools/mcp/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const browserPath = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";
const shots = join(ui, "e2e/screenshots");
const only = process.env.HEARTH_E2E_ONLY ? new RegExp(process.env.HEARTH_E2E_ONLY, "i") : null;
// The tool-calling scenario's name, known here so its files are asked for only when it runs.
const TOOL_TEST = "tool calls: the model asks to read a file, runs once allowed, shows the result folded, and the call is audited";
const runsToolTest = !only || only.test(TOOL_TEST);

const needed = [
  [hearthBin, "build it with `cargo build --release`"],
  [join(ui, "dist/index.html"), "build the UI with `npm --prefix ui run build`"],
  [model, "fetch it with `scripts/fetch-models.sh smollm2`"],
  [pdf, "fetch it with `scripts/fetch-test-docs.sh`"],
  [minilm, "fetch it with `scripts/fetch-models.sh minilm`"],
  [browserPath, "install Debian's chromium (`scripts/install-deps.sh`)"],
  ...(runsToolTest
    ? [
        [toolModel, "fetch it with `scripts/fetch-models.sh qwen-coder`"],
        [filesystemServer, "fetch it with `scripts/fetch-mcp-servers.sh`"],
      ]
    : []),
];
if (!filesPresent(needed)) process.exit(1);
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

const home = mkdtempSync(join(tmpdir(), "hearth-e2e-"));
// API keys go to Hearth's sealed file, never to the keyring of the machine running this.
const env = { ...process.env, HEARTH_HOME: home, HEARTH_KEYRING: "off" };
mkdirSync(join(home, "config"), { recursive: true });
writeFileSync(join(home, "config/config.toml"), `context_length = 2048\nparallel = 2\n\n[sampling]\ntemperature = 0.0\nmax_tokens = 48\n`);
execFileSync(hearthBin, ["models", "add", model, "--id", "smollm2", "--default"], { env, stdio: "inherit" });
execFileSync(hearthBin, ["models", "convert", minilm, "--id", "all-MiniLM-L6-v2"], { env, stdio: "inherit" });
// A folder of notes for the Documents page.
const notes = join(home, "notes");
mkdirSync(notes);
writeFileSync(
  join(notes, "bread.md"),
  "# Sourdough bread\n\nKnead the dough for ten minutes until it is smooth.\n\n## Baking\n\nBake the loaf at 230 degrees Celsius for forty minutes, with steam for the first fifteen.\n",
);
writeFileSync(join(notes, "bike.txt"), "Fixing a flat bicycle tyre: remove the wheel, find the puncture under water, patch the tube and refit it.\n");

/** Starts `hearth serve` on a free port with `env`'s HEARTH_HOME; resolves with the
 * process and what it printed (url, token_file, login_url) once it listens. */
const serve = (env, ...flags) => serveHearth(env, join(ui, "dist"), ...flags);
const { child: server, started } = await serve(env, "--allow-paths");
const url = started.url;
const token = readFileSync(started.token_file, "utf8").trim();
// Another one-time login link, as `hearth serve --login-link` asks for it.
async function newLoginLink() {
  const response = await fetch(`${url}/api/login-link`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).url;
}

const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
/** A browser context of its own (its own cookies, so its own login). */
async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  // The page's Content-Security-Policy blocks inline script; a violation would mean markup
  // that should have been sanitized reached the page, so each one is recorded with where.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp = [...(window.__csp ?? []), `${e.violatedDirective} ${e.blockedURI} ${e.sample} at ${location.hash} in ${e.target?.outerHTML?.slice(0, 300) ?? e.target}`];
    });
  });
  return context;
}
const problems = [];
// Errors a scenario provokes on purpose (a refused request the page shows), by pattern.
const expectedErrors = [];
/** Records a page's errors, console errors and unexpected dialogs as problems. */
function watch(page) {
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error" || expectedErrors.some((p) => p.test(message.text()))) return;
    // Which test and which address: "Failed to load resource" names neither.
    const where = message.location()?.url;
    problems.push(`console error in "${names.at(-1)}": ${message.text()}${where ? ` (${where})` : ""}`);
  });
  page.on("dialog", async (dialog) => {
    // confirm() for deleting is expected; any alert/prompt means injected script ran.
    if (dialog.type() === "confirm") return dialog.accept();
    problems.push(`unexpected ${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return page;
}
const context = await newContext();
const page = watch(await context.newPage());

const results = [];
const names = [];
async function test(name, body) {
  names.push(name);
  if (only && !only.test(name)) return;
  const start = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n${error.stack ?? error}`);
    await page.screenshot({ path: join(shots, `failed-${name.replace(/\W+/g, "-")}.png`), fullPage: true }).catch(() => {});
  }
}
// Each page photographed is also checked with axe (serious and critical violations fail).
/** Opens the chat's settings drawer (documents, tools, adapter, sampling). */
async function openChatSettings(p) {
  await p.click('button[aria-label="Chat settings"]');
  await p.locator("dialog.drawer[open]").waitFor();
}
/** Closes it with Escape, as a keyboard user would. */
async function closeChatSettings(p) {
  await p.keyboard.press("Escape");
  await p.locator("dialog.drawer").waitFor({ state: "detached" });
}
const shot = async (name) => {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  await checkAccessibility(page, name);
};
// Model work can take a while on a slow machine; these waits are for events, and the
// test run as a whole has no time limit.
const LONG = { timeout: 0 };

/** GET on the app API with the browser's session. (Defined before the scenarios: one
 * used before this line would be in its temporal dead zone.) */
const apiGet = (path, on = page) =>
  on.evaluate(async (path) => {
    return (await fetch(path)).json();
  }, path);

async function noInjectedScript() {
  const state = await page.evaluate(() => ({
    xss: window.__xss,
    handlers: [...document.querySelectorAll(".markdown *")].filter((el) => [...el.attributes].some((a) => a.name.startsWith("on"))).length,
    scripts: document.querySelectorAll(".markdown script, .markdown iframe, .markdown svg").length,
    jsLinks: [...document.querySelectorAll(".markdown a")].filter((a) => (a.getAttribute("href") ?? "").toLowerCase().startsWith("javascript:")).length,
    csp: window.__csp ?? [],
  }));
  assert.deepEqual(state, { xss: undefined, handlers: 0, scripts: 0, jsLinks: 0, csp: [] });
}

await test("login: the page carries no token, the API wants a login, and the printed link works once", async () => {
  const refused = /status of 401/;
  expectedErrors.push(refused);
  await page.goto(url);
  assert.equal(await page.locator('meta[name="hearth-token"]').count(), 0);
  assert.ok(!(await page.content()).includes(token), "the page carries the token");
  await page.locator("#login-needed", { hasText: "hearth serve --login-link" }).waitFor();
  await shot("login-needed");
  await page.goto(started.login_url);
  assert.equal(page.url(), `${url}/`);
  await page.waitForSelector("text=Ask anything");
  assert.equal(await page.locator("#login-needed").count(), 0);
  const session = (await context.cookies(url)).find((c) => c.name.startsWith("hearth_session_"));
  assert.ok(session, "no session cookie");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Strict");
  assert.equal(await page.evaluate(() => document.cookie.includes("hearth_session_")), false);
  // Used again, the link is refused (the browser logs the 403, and the 404 of the
  // refusal page's missing favicon).
  const spent = /status of 40[34]/;
  expectedErrors.push(spent);
  const again = await page.goto(started.login_url);
  assert.equal(again.status(), 403);
  assert.match(await page.innerText("body"), /does not work[\s\S]*hearth serve --login-link/);
  await shot("login-link-used");
  // Still logged in: the app loads without the banner.
  await page.goto(url);
  await page.waitForSelector("text=Ask anything");
  assert.equal(await page.locator("#login-needed").count(), 0);
  for (const pattern of [refused, spent]) expectedErrors.splice(expectedErrors.indexOf(pattern), 1);
});
// Every scenario below needs a logged-in browser, also when the one above did not run.
if (!(await context.cookies(url)).some((c) => c.name.startsWith("hearth_session_"))) {
  await page.goto(await newLoginLink());
  assert.equal(page.url(), `${url}/`);
}

await test("a chat streams, is saved, and is found by search after a reload", async () => {
  await page.goto(url);
  await page.waitForSelector("text=Ask anything");
  await shot("chat-empty");
  await page.fill("#composer", "What is the capital of France?");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".message.assistant.streaming", LONG);
  const answer = page.locator('.message.assistant[data-state="done"]').first();
  await answer.waitFor(LONG);
  const text = (await answer.locator(".markdown").innerText()).trim();
  assert.ok(text.length > 0, "the answer is empty");
  assert.match(await answer.locator(".origin").innerText(), /on this computer/);
  // The speed line says where the model ran (no GPU is visible here: the CPU).
  assert.match(await answer.locator(".readout").innerText(), /tokens\/s on CPU$/);
  assert.match(page.url(), /#\/chat\/.+/);
  // The model picker names the model as people know it, with size and quantization.
  assert.deepEqual(await page.locator('select[aria-label="Model"] option').allInnerTexts(), ["Default (SmolLM2 135M Instruct)", "SmolLM2 135M Instruct · 135M · Q4_1"]);
  // After the first answer the conversation gets a title (the model's, or the question's
  // first words when the model gives none), in the header and the history.
  await page.locator(".toolbar h1:not(.untitled)").waitFor(LONG);
  const title = (await page.locator(".toolbar h1").innerText()).trim();
  assert.ok(title.length > 0 && title !== "Untitled conversation", title);
  await page.locator(".conversations li.current a", { hasText: title }).waitFor(LONG);
  // How full the model's context is, measured at this answer.
  assert.match(await page.locator(".context-meter > span:not(.visually-hidden)").innerText(), /^Context \d+%$/);
  assert.match(await page.locator(".context-meter").getAttribute("title"), /^\d+ of 2,048 tokens of the model's context at the latest answer$/);
  await shot("chat");

  await page.reload();
  await page.locator('.message.assistant[data-state="done"]').first().waitFor();
  await page.fill("#history-search", "France");
  const hit = page.locator(".hits .hit").first();
  await hit.waitFor();
  assert.match(await hit.innerHTML(), /<mark>France<\/mark>/);
  await shot("search");
  await hit.click();
  await page.locator(".message.user", { hasText: "capital of France" }).waitFor();
});

await test("regenerating makes a second version and the switcher moves between them", async () => {
  const answerText = () => page.locator('.message.assistant[data-state="done"] .markdown').first().innerText();
  const first = await answerText();
  await page.click(".message.assistant >> text=Regenerate");
  const versions = page.locator('.message.assistant [aria-label="Versions"]');
  await versions.waitFor(LONG);
  assert.match(await versions.innerText(), /2 \/ 2/);
  await page.click('.message.assistant [aria-label="Previous version"]');
  await page.locator('.message.assistant [aria-label="Versions"]', { hasText: "1 / 2" }).waitFor();
  assert.equal(await answerText(), first);
  await shot("chat-versions");
});

await test("a summary is checked against its document: the count agrees with the points marked, each with its reason", async () => {
  // Three words of packing notes, from which the small default model often writes a
  // whole holiday (places the notes never mention). Whether it does depends on what else
  // the engine is batching at that moment, so the test holds the page to what it was
  // given either way: the count in the header is the points marked, and each marked
  // point says what the document lacks. (The Check page's test flags a built document
  // every time; summarize.test.tsx renders a flagged summary.)
  await page.goto(`${url}/#/summarize`);
  await page.reload();
  await page.fill("#summary-text", "# Trip\n\nPack the tent, the stove and two maps.\n");
  await page.click("button:has-text('Summarize')");
  const result = page.locator('article[aria-label="Summary"]');
  await result.waitFor(LONG);
  const status = await result.locator('[aria-label="Checked against the document"]').innerText();
  const flagged = result.locator('.points li[data-grounding="not-found"]');
  const count = await flagged.count();
  if (count === 0) assert.match(status, /^✓ every number, date, name and quote found in the document$/);
  else {
    assert.match(status, new RegExp(`^⚠ ${count} of \\d+ points? not found in the document$`));
    for (let i = 0; i < count; i++) {
      assert.match(await flagged.nth(i).locator(".not-found").innerText(), /^⚠ The document (never mentions|has no|does not say) /);
    }
  }
  await shot("summarize-checked");
});

await test("a PDF is summarized with page references", async () => {
  await page.goto(`${url}/#/summarize`);
  await page.setInputFiles('input[aria-label="Document to summarize"]', pdf);
  await page.selectOption("select >> nth=0", "bullets");
  await page.click("button:has-text('Summarize')");
  const result = page.locator('article[aria-label="Summary"]');
  await result.waitFor(LONG);
  const refs = result.locator("button.ref");
  assert.ok((await refs.count()) > 0, "no source references");
  assert.match(await refs.first().innerText(), /^pp?\. \d/);
  await refs.first().click();
  await page.locator('aside[aria-label="Source"]').waitFor();
  await shot("summarize");
});

await test("a paragraph is translated side by side", async () => {
  await page.goto(`${url}/#/translate`);
  await page.fill("#translate-text", "The weather is nice today. We are going to the beach.");
  await page.fill('input[aria-label="Target language"]', "French");
  await page.click("button:has-text('Translate')");
  const rows = page.locator("table.side-by-side tbody tr");
  await rows.first().waitFor(LONG);
  assert.match(await rows.first().locator("td").first().innerText(), /weather/);
  assert.ok((await rows.first().locator("td").nth(1).innerText()).trim().length > 0);
  assert.match(await page.locator(".result .meta").innerText(), /French/);
  await shot("translate");
});

await test("a translation the model could not make is marked, with the model to use instead", async () => {
  // SmolLM2 (the default here) is an English model: asked for German it writes no
  // translation, and the page must say so rather than show the text as German.
  await page.goto(`${url}/#/translate`);
  await page.fill(
    "#translate-text",
    "Upon starting the system, you are presented with the character based login screen if you did not install any graphical environment such as GNOME or KDE.\n\nMidnight Commander takes care of all file operations through its menu, requiring minimal user effort. Just press F1 to get the help screen.",
  );
  await page.fill('input[aria-label="Target language"]', "German");
  await page.click("button:has-text('Translate')");
  const advice = page.locator(".advice[role=alert]");
  await advice.waitFor(LONG);
  assert.match(await advice.locator("p").innerText(), /SmolLM2 135M Instruct was trained on English text and does not translate into German/);
  assert.equal(await page.locator("table.side-by-side tbody tr.untranslated").count(), 2);
  assert.match(await page.locator("tr.untranslated .not-translated").first().innerText(), /^⚠ Not translated: the model /);
  assert.equal(await page.locator(".result header [role=status]").first().innerText(), "⚠ 2 of 2 not translated");
  // The way out: a button when a multilingual model is here, else the Models page.
  assert.equal(await advice.locator("button, a[href='#/models']").count(), 1);
  await shot("translate-not-translated");
});

await test("check: a sentence whose figure the document lacks is flagged with the reason, the rest found", async () => {
  // A document built to trigger the check: a draft that gets one figure and one name wrong.
  const report = join(home, "annual-report.md");
  writeFileSync(report, "# Annual report 2023\n\nRevenue grew 17.3% to 1,234,567 euros. The board met on 5 March 2024 in Lisbon, chaired by Maria Schmidt.\n");
  await page.goto(`${url}/#/check`);
  await page.fill("#check-text", "Revenue grew 17% to about 1.2 million euros. Revenue grew 19% in 2024. The board met in Lisbon under Hans Weber. We will talk soon.");
  await page.setInputFiles('input[aria-label="Document to check against"]', report);
  await page.locator(".chip", { hasText: "annual-report.md" }).waitFor();
  await page.click("button:has-text('Check')");
  const result = page.locator('article[aria-label="Check result"]');
  await result.waitFor(LONG);
  const marks = await result.locator(".checked-sentences > li").evaluateAll((items) => items.map((li) => li.dataset.grounding));
  assert.deepEqual(marks, ["supported", "not_found", "not_found", "unchecked"]);
  const flagged = result.locator('.checked-sentences > li[data-grounding="not_found"]');
  assert.match(await flagged.nth(0).innerText(), /Revenue grew 19% in 2024\.[\s\S]*the document has no 19%/);
  assert.match(await flagged.nth(1).innerText(), /the document never mentions Hans Weber/);
  assert.match(await result.locator('[role="status"]').innerText(), /2 of 4 sentences not found in the document/);
  await shot("check");

  // Thorough: the embedding model finds nothing in the report close to "We will talk
  // soon." (no word shared), and the judge (the real default model) reads the first
  // sentence beside the report's closest sentences; its verdict is the model's own.
  await page.check('label:has-text("Thorough") input');
  await page.click("button:has-text('Check')");
  await result.locator(".hint", { hasText: "the judge" }).waitFor(LONG);
  assert.match(await result.locator(".hint").innerText(), /^checked by facts, similarity, the judge \(judge: .+\)$/);
  const thorough = await result.locator(".checked-sentences > li").evaluateAll((items) => items.map((li) => li.dataset.grounding));
  assert.deepEqual(thorough.slice(1), ["not_found", "not_found", "not_found"]);
  assert.ok(["supported", "not_found", "contradicted"].includes(thorough[0]), thorough[0]);
  assert.match(await result.locator(".checked-sentences > li").nth(3).innerText(), /nothing in the document is close to this/);
  assert.match(await result.locator(".checked-sentences > li").nth(0).locator("details summary").innerText(), /^Closest in the documents \(similarity 0\.\d\d\)$/);
  await shot("check-thorough");
});

await test("documents: a folder is indexed, an answer cites passages that open, and nothing relevant is said", async () => {
  await page.goto(`${url}/#/documents`);
  await page.waitForSelector("text=No collections yet");
  await page.fill('form[aria-label="Add files"] input', "Kitchen");
  await page.fill('form[aria-label="Add files"] textarea', notes);
  await page.click("button:has-text('Add and index')");
  await page.locator(".report", { hasText: "2 added" }).waitFor(LONG);
  const collection = page.locator("button.collection", { hasText: "Kitchen" });
  assert.match(await collection.innerText(), /2 files/);

  await page.fill("#ask-question", "At what temperature should I bake the sourdough loaf?");
  await page.click("button:has-text('Ask')");
  const sources = page.locator('ol[aria-label="Sources"] button.ref');
  await sources.first().waitFor(LONG);
  assert.match(await sources.first().innerText(), /^\[1\] bread\.md/);
  await page.locator(".exchanges li .answer .markdown").first().waitFor();
  await page.locator("button:has-text('Ask')").waitFor(LONG);
  await sources.first().click();
  const passage = page.locator('aside[aria-label="Passage"]');
  await passage.waitFor();
  assert.match(await passage.innerText(), /230 degrees/);
  await shot("documents");

  await page.fill("#ask-question", "Who won the football world cup in 1998?");
  await page.click("button:has-text('Ask')");
  await page.locator(".answer.nothing", { hasText: "found nothing" }).waitFor(LONG);
  await noInjectedScript();

  // Watched: a note saved into the folder is indexed without a rescan, and the page
  // lists it among the changes (every wait is for the page to show it, not a timer).
  await page.locator("details.files summary").click();
  assert.ok(await page.locator('label.toggle input[type="checkbox"]').isChecked(), "new collections are watched");
  writeFileSync(join(notes, "kiln.md"), "# Kiln\n\nFire the bisque slowly before glazing the pots.\n");
  await page.locator(".recent-changes li", { hasText: "kiln.md" }).waitFor(LONG);
  assert.match(await page.locator(".recent-changes li").first().innerText(), /kiln\.md\s+added/);
  await page.locator("button.collection", { hasText: "3 files" }).waitFor(LONG);
  await shot("documents-watched");

  // A saved chat attached to the collection: its answer keeps its sources.
  await page.goto(`${url}/#/chat`);
  await page.fill("#composer", "Hello");
  await page.keyboard.press("Enter");
  await page.locator('.message.assistant[data-state="done"]').first().waitFor(LONG);
  await openChatSettings(page);
  await page.selectOption('select[aria-label="Answer from documents"]', "Kitchen");
  await closeChatSettings(page);
  // The header says the chat answers from the collection while the drawer is closed.
  await page.locator(".setting-chips .chip", { hasText: "Documents: Kitchen" }).waitFor();
  await page.fill("#composer", "At what temperature should I bake the sourdough loaf?");
  await page.keyboard.press("Enter");
  const chatSources = page.locator('.message.assistant ol[aria-label="Sources"] button.ref');
  await chatSources.first().waitFor(LONG);
  assert.match(await chatSources.first().innerText(), /^\[1\] bread\.md/);
  await chatSources.first().click();
  await page.locator('aside[aria-label="Passage"]', { hasText: "230 degrees" }).waitFor();
  await shot("chat-with-documents");
});

await test("documents: a scanned PDF is read by OCR into a collection and an answer cites its page", async () => {
  const scans = join(home, "scans");
  mkdirSync(scans);
  writeFileSync(join(scans, "ocr-article.pdf"), readFileSync(scannedPdf));
  await page.goto(`${url}/#/documents`);
  await page.fill('form[aria-label="Add files"] input', "Scans");
  await page.fill('form[aria-label="Add files"] textarea', scans);
  await page.click("button:has-text('Add and index')");
  await page.locator(".report", { hasText: "1 added" }).waitFor(LONG);
  await page.locator("button.collection", { hasText: "Scans" }).click();
  await page.fill("#ask-question", "What does optical character recognition convert images of text into?");
  await page.click("button:has-text('Ask')");
  const sources = page.locator('ol[aria-label="Sources"] button.ref');
  await sources.first().waitFor(LONG);
  assert.match(await sources.first().innerText(), /^\[1\] ocr-article\.pdf.*p\. 1/);
  await page.locator("button:has-text('Ask')").waitFor(LONG);
  await sources.first().click();
  // The passage is OCR's text of the scan.
  const scanned = page.locator('aside[aria-label="Passage"]');
  await scanned.locator("text=pattern recognition").waitFor();
  assert.match(await scanned.innerText(), /^ocr-article\.pdf, p\. 1\n/);
  await shot("documents-scanned");
});

await test("the models page shows the default model with its details", async () => {
  await page.goto(`${url}/#/models`);
  const entry = page.locator('li[aria-label="Model smollm2"]');
  await entry.waitFor();
  assert.match(await entry.innerText(), /Default/);
  assert.match(await entry.innerText(), /llama/);
  assert.match(await entry.innerText(), /Fits in memory|Tight|Won't fit/);
  await shot("models");
});

await test("the models page compares models, with the speed measured from earlier answers, and recommends one", async () => {
  await page.goto(`${url}/#/models`);
  const row = page.locator('table.choices tr[aria-label="Choice smollm2"]');
  await row.waitFor();
  const cells = async (r) => (await r.locator("th, td").allInnerTexts()).map((t) => t.trim());
  const [name, where, size, memory, speed, context, license, cost] = await cells(row);
  // Named as people know it (the catalog's name), with the library id beside it.
  assert.match(name, /^SmolLM2 135M Instruct Default/);
  assert.match(name, /smollm2$/);
  assert.equal(where, "On this computer");
  assert.equal(await row.getAttribute("data-private"), "yes");
  assert.match(size, /MB/);
  assert.match(memory, /MB, (fits|tight|won't fit)$/);
  // The chats above ran on smollm2, so its speed is measured here.
  assert.match(speed, /^[\d,]+(\.\d)? tokens\/s over \d+ generations?$/);
  assert.match(context, /^[\d,]+ tokens$/);
  assert.ok(license.length > 0);
  assert.equal(cost, "free");
  // The embedding model is listed too, as a model on this computer.
  assert.equal(await page.locator('table.choices tr[aria-label="Choice all-minilm-l6-v2"] td.where').innerText(), "On this computer");
  const recommendation = page.locator('[aria-label="Recommendation"]');
  await recommendation.waitFor();
  const said = await recommendation.innerText();
  assert.match(said, /^Recommended for this computer: .+ — This computer has/);
  assert.ok(/installed/.test(said) || (await recommendation.locator("button", { hasText: /^Download / }).isEnabled()), said);
  await shot("models-choosing");
});

await test("the models page lists the loaded model with what it holds, and unloads it", async () => {
  if ((await apiGet("/api/models/loaded")).models.length === 0) {
    // Run alone (HEARTH_E2E_ONLY): a first answer loads the default model.
    await page.evaluate(async () => {
      const post = (path, body) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const conversation = await (await post("/api/conversations", {})).json();
      await (await post(`/api/conversations/${conversation.id}/messages`, { content: "Hi", options: { max_tokens: 2 } })).text();
    });
  }
  await page.goto(`${url}/#/models`);
  const panel = page.locator('section[aria-label="Loaded models"]');
  // The chats above loaded the default model.
  const loaded = panel.locator('li[aria-label="Loaded SmolLM2-135M-Instruct.Q4_1.gguf"]');
  await loaded.waitFor();
  assert.match(await loaded.innerText(), /Holds about [\d.]+ MB/);
  // The documents test before this one loaded the embedding model too: it is counted.
  assert.match(await panel.innerText(), /Using [\d.]+ MB of [\d.]+ GB( \([\d.]+ MB of it for document search\))?; idle models unload after 30 minutes\./);
  await shot("models-loaded");
  // Enabled once no answer runs on it (a title may still be being written).
  await loaded.getByRole("button", { name: "Unload" }).click();
  await panel.getByText("No model is loaded.").waitFor();
  assert.deepEqual((await apiGet("/api/models/loaded")).models, []);
});

await test("settings save and the dark theme applies", async () => {
  await page.goto(`${url}/#/settings`);
  await page.locator("text=Sampling").waitFor();
  await page.check("input[name=theme] >> nth=2");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.getByLabel(/Disk for resuming long chats/).fill("512");
  await page.click("button:has-text('Save')");
  await page.locator("text=Saved.").waitFor();
  const stored = await page.evaluate(async () => {
    const response = await fetch("/api/settings");
    return response.json();
  });
  assert.equal(stored.saved_contexts_mb, 512);
  await shot("settings-dark");
  await page.check("input[name=theme] >> nth=1");
});

await test("on a phone-sized screen the history folds behind a menu button", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${url}/#/chat`);
  const toggle = page.locator('button[aria-label="Show history"]');
  await toggle.waitFor();
  assert.equal(await page.locator("nav.sidebar").isVisible(), false);
  await shot("phone-chat");
  await toggle.click();
  await page.locator("nav.sidebar").waitFor({ state: "visible" });
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");
  await shot("phone-history");
  await page.setViewportSize({ width: 1280, height: 860 });
});

await test("keyboard: Ctrl+K searches, / types a message", async () => {
  await page.goto(`${url}/#/chat`);
  await page.locator("#composer").waitFor();
  await page.keyboard.press("Control+k");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "history-search");
  await page.locator("main").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "composer");
});

await test("a document attached to a chat message is sent with it, as the model saw it", async () => {
  await page.goto(`${url}/#/chat`);
  await page.locator("#composer").waitFor();
  const notes = join(home, "packing.md");
  writeFileSync(notes, "# Packing\n\nBring the tent and the red stove.\n");
  await page.setInputFiles('input[aria-label="Attach a document to the next message"]', notes);
  await page.locator(".attachments", { hasText: "packing.md" }).waitFor();
  await page.fill("#composer", "What should I bring?");
  await page.keyboard.press("Enter");
  await page.locator('.message.assistant[data-state="done"]').first().waitFor(LONG);
  const sent = await page.locator(".message.user").first().innerText();
  assert.ok(sent.includes("Document: packing.md") && sent.includes("red stove") && sent.includes("What should I bring?"), sent);
  assert.equal(await page.locator(".attachments").count(), 0, "the attachment goes with one message");
  await shot("chat-attached-document");
});

await test("workflows: the editor lists the server's problems; a built-in runs on pasted text and exports CSV; a library prompt fills the chat's composer", async () => {
  await page.goto(`${url}/#/workflows`);
  // The editor keeps no copy of the rules: two steps with one name and a classify step
  // with one label reach the server's check, whose every problem is listed by step.
  await page.locator("button", { hasText: "New workflow" }).click();
  const editor = page.locator('form[aria-label="Workflow editor"]');
  // The model list arrives after the page opens and widens each step's model menu, which
  // moves "Add a step" down a line: a click aimed before that lands on the step above.
  await editor.locator('select[aria-label="Step 1 model"] option', { hasText: "SmolLM2" }).first().waitFor({ state: "attached" });
  await editor.locator('input[aria-label="Workflow name"]').fill("e2e-rules");
  await editor.locator("button", { hasText: "Add a step" }).click();
  await editor.locator('select[aria-label="Step 2 task"]').selectOption("summarize");
  await editor.locator("button", { hasText: "Add a step" }).click();
  await editor.locator('select[aria-label="Step 3 task"]').selectOption("classify");
  await editor.locator('input[aria-label="Step 3 labels"]').fill("only");
  await editor.locator('button[type="submit"]').click();
  const fix = editor.locator('ul[aria-label="What to fix"]');
  await fix.waitFor();
  assert.deepEqual(await fix.locator("li").allInnerTexts(), [
    "Step 2 (summarize): another step has the same name; give one of them a `name`.",
    "Step 3 (classify): give at least two different labels.",
  ]);
  assert.ok(!(await apiGet("/api/workflows")).some((w) => w.name === "e2e-rules"), "a workflow with problems was saved");
  await editor.locator("button", { hasText: "Cancel" }).click();
  await page.locator(".workflow-list button", { hasText: "summarize-then-sentiment" }).click();
  const details = page.locator('article[aria-label="Workflow summarize-then-sentiment"]');
  await details.waitFor();
  assert.match(await details.innerText(), /summary[\s\S]*sentiment: Classify as positive, negative, neutral/);
  await shot("workflows");
  await details.locator("button", { hasText: "Run…" }).click();
  await page.waitForURL(/#\/workflows\/run$/);
  assert.equal(await page.locator('select[aria-label="Workflow to run"]').inputValue(), "summarize-then-sentiment");
  await page.fill("#workflow-text", "I love this little bakery. The bread is fresh every morning, the staff are kind, and the coffee is excellent.");
  await page.click('#panel-run button[type="submit"]');
  await page.locator("#panel-run progress").waitFor();
  const results = page.locator('section[aria-label="Results"]');
  const exportCsv = results.locator("button", { hasText: "Export CSV" });
  await exportCsv.waitFor(LONG);
  const row = results.locator("tbody tr").first();
  assert.equal((await row.locator('td[data-column="item"]').innerText()).trim(), "text");
  assert.ok((await row.locator('td[data-column="summary"]').innerText()).trim().length > 0, "the summary is empty");
  assert.match((await row.locator('td[data-column="sentiment"]').innerText()).trim(), /^(positive|negative|neutral)$/);
  assert.equal((await row.locator('td[data-column="error"]').innerText()).trim(), "");
  assert.match(await results.locator(".meta").innerText(), /1 item done/);
  const [csv] = await Promise.all([page.waitForEvent("download"), exportCsv.click()]);
  assert.match(csv.suggestedFilename(), /^summarize-then-sentiment-\w{8}\.csv$/);
  assert.equal(readFileSync(await csv.path(), "utf8").split(/\r?\n/)[0], "item,summary,sentiment,error");
  await page.locator('section[aria-label="Past runs"] tbody tr', { hasText: "summarize-then-sentiment" }).first().waitFor();
  await shot("workflow-run");

  await page.goto(`${url}/#/chat`);
  await page.locator("#composer").waitFor();
  await page.click('.composer button:has-text("Prompts")');
  const picker = page.locator('form[aria-label="Insert a prompt"]');
  await picker.locator('select[aria-label="Prompt template"] option[value="email"]').waitFor({ state: "attached" });
  await picker.locator('select[aria-label="Prompt template"]').selectOption("email");
  await picker.locator('textarea[aria-label="Variable tone"]').fill("friendly");
  await picker.locator('textarea[aria-label="Variable recipient"]').fill("the team");
  await picker.locator('textarea[aria-label="Variable points"]').fill("The office is closed on Friday.");
  await shot("chat-prompt-picker");
  await picker.locator('button[type="submit"]').click();
  await picker.waitFor({ state: "detached" });
  const composed = await page.inputValue("#composer");
  assert.ok(composed.startsWith("Write a friendly email to the team about the following."), composed);
  assert.ok(composed.endsWith("\n\nThe office is closed on Friday."), composed);
  assert.ok(!composed.includes("{{"), composed);
});

const payloads = [
  "<img src=x onerror=\"window.__xss=1;alert('img')\">",
  "<script>window.__xss=1;alert('script')</script>",
  "[click me](javascript:window.__xss=1)",
  "<svg onload=\"window.__xss=1\"></svg>",
  "<iframe src=\"javascript:parent.__xss=1\"></iframe>",
  "<details open ontoggle=\"window.__xss=1\">x</details>",
];

await test("a remote provider answers a chat marked as sent there, and offline mode stops it", async () => {
  // An OpenAI-compatible provider on loopback that streams one answer to every request.
  const seen = [];
  const provider = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      seen.push({ path: request.url, auth: request.headers.authorization, body: JSON.parse(body || "{}") });
      response.writeHead(200, { "content-type": "text/event-stream" });
      for (const piece of ["Remote ", "says hi."]) {
        response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
      }
      response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
      response.end("data: [DONE]\n\n");
    });
  });
  await new Promise((ok) => provider.listen(0, "127.0.0.1", ok));
  try {
    await page.goto(`${url}/#/settings`);
    await page.click("text=Connect a remote provider…");
    await page.fill('input[name="name"]', "mock");
    await page.fill('input[name="base_url"]', `http://127.0.0.1:${provider.address().port}/v1`);
    await page.fill('input[name="models"]', "m1");
    await page.fill('input[name="api_key"]', "sk-e2e-secret");
    await page.click('.provider-form button[type="submit"]');
    const row = page.locator(".provider-list tr", { hasText: "mock" });
    await row.waitFor();
    assert.match(await row.innerText(), /sealed key file/);
    assert.ok(!(await page.content()).includes("sk-e2e-secret"), "the key must not be shown again");
    await shot("settings-remote-provider");

    await page.goto(`${url}/#/chat`);
    await page.selectOption('select[aria-label="Model"]', "mock:m1");
    await page.locator(".empty", { hasText: "sent to mock" }).waitFor();
    await page.fill("#composer", "Hello out there?");
    await page.keyboard.press("Enter");
    const answer = page.locator('.message.assistant[data-state="done"]').first();
    await answer.waitFor(LONG);
    assert.equal((await answer.locator(".markdown").innerText()).trim(), "Remote says hi.");
    assert.equal((await answer.locator(".origin.remote").innerText()).trim(), "m1 · via mock");
    assert.equal(seen[0].auth, "Bearer sk-e2e-secret");
    assert.equal(seen[0].body.messages.at(-1).content, "Hello out there?");
    await shot("chat-remote-answer");
    const conversation = page.url();

    // The Activity page shows what left this computer, with the provider's name.
    await page.goto(`${url}/#/activity`);
    await page.check('.activity input[type="checkbox"]');
    const sentRow = page.locator('.audit-log tr[data-remote="yes"]').first();
    await sentRow.waitFor();
    assert.match(await sentRow.innerText(), /mock[\s\S]*\d+ bytes/);
    assert.match(await page.locator('.activity [role="status"]').innerText(), /sent to a remote provider/);
    await shot("activity-sent");

    // The Models page compares the remote model as one whose text leaves this computer.
    await page.goto(`${url}/#/models`);
    const remoteRow = page.locator('table.choices tr[aria-label="Choice mock:m1"]');
    await remoteRow.waitFor();
    assert.equal(await remoteRow.getAttribute("data-private"), "no");
    assert.equal((await remoteRow.locator("td.where").innerText()).replace(/\s+/g, " ").trim(), "At mock text leaves this computer");
    assert.equal((await remoteRow.locator("td.cost").innerText()).trim(), "not set");
    assert.equal(await page.locator('form[aria-label="LoRA adapter"]').count(), 0);
    await shot("models-choosing-remote");

    // Offline mode: the next question is refused with the reason, and nothing is sent.
    await page.goto(`${url}/#/settings`);
    await page.check('.providers input[type="checkbox"]');
    await page.locator("text=Offline: no remote provider will be contacted.").waitFor();
    const before = seen.length;
    await page.goto(conversation);
    await page.locator('.message.assistant[data-state="done"]').first().waitFor();
    await page.fill("#composer", "Are you still there?");
    // The browser logs the refused request (503) itself; the page shows why.
    expectedErrors.push(/status of 503/);
    await page.keyboard.press("Enter");
    await page.locator('[role="alert"]', { hasText: "offline mode" }).waitFor();
    assert.equal(seen.length, before, "offline mode must not reach the provider");
    await shot("chat-offline-refused");
    await page.goto(`${url}/#/settings`);
    await page.uncheck('.providers input[type="checkbox"]');
    await page.locator("text=Remote providers may be used again.").waitFor();
  } finally {
    provider.close();
  }
});

await test("XSS in a model's answer never runs", async () => {
  await page.goto(`${url}/#/chat`);
  // A real answer from the model to a prompt full of payloads (small models echo them).
  await page.fill("#composer", `Repeat this exactly:\n${payloads.join("\n")}`);
  await page.keyboard.press("Enter");
  await page.locator('.message.assistant[data-state="done"]').first().waitFor(LONG);
  await noInjectedScript();
  // And an answer that certainly holds every payload, stored through the real import
  // path and rendered like any answer.
  const conversation = await page.evaluate(async (payloads) => {
    const exported = await (await fetch("/api/export?format=json")).json();
    const source = exported.conversations[0];
    const answer = source.messages.find((m) => m.role === "assistant");
    answer.content = `Here:\n\n${payloads.join("\n\n")}`;
    source.title = "Payloads";
    const response = await fetch("/api/import?new_ids=true", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...exported, conversations: [source] }),
    });
    if (!response.ok) throw new Error(await response.text());
    const list = await (await fetch("/api/conversations")).json();
    return list.find((c) => c.title === "Payloads").id;
  }, payloads);
  await page.goto(`${url}/#/chat/${conversation}`);
  await page.locator(".message.assistant .markdown", { hasText: "Here:" }).waitFor();
  await page.waitForTimeout(500);
  await noInjectedScript();
  await shot("xss-answer");
});

await test("XSS in a document never runs", async () => {
  const hostile = join(home, "hostile.md");
  writeFileSync(hostile, `# Notes\n\n${payloads.map((p) => `Important finding: ${p} is the result.`).join("\n\n")}\n`);
  await page.goto(`${url}/#/summarize`);
  await page.setInputFiles('input[aria-label="Document to summarize"]', hostile);
  await page.selectOption("select >> nth=0", "key_points");
  await page.click("button:has-text('Summarize')");
  await page.locator('article[aria-label="Summary"]').waitFor(LONG);
  await noInjectedScript();
  await page.goto(`${url}/#/translate`);
  await page.setInputFiles('input[aria-label="File to translate"]', hostile);
  await page.fill('input[aria-label="Target language"]', "German");
  await page.click("button:has-text('Translate')");
  await page.locator("table.side-by-side tbody tr").first().waitFor(LONG);
  await noInjectedScript();
  await shot("xss-document");
});

// A reasoning model's answer as the server stores and serves it. SmolLM2 does not think,
// so nothing here streams thinking live (ui/src/thinking.test.tsx covers that with the
// chat page on a scripted transport): the answer comes in through the real import path,
// with its thinking as hearth-llm's recorded Qwen3 transcript splits it, and the real
// server and page show it folded, open it, and search it only when the setting says so.
await test("a reasoning model's thinking is folded above its answer and searched only when asked", async () => {
  const thinking = "Okay, the user is asking how many times the letter 'r' appears in \"strawberry\". Let me spell it: s-t-r-a-w-b-e-r-r-y. That's three r's.";
  const answer = "There are **3** r's in \"strawberry\".";
  const id = await page.evaluate(
    async ({ thinking, answer }) => {
      const now = Date.now();
      const message = (id, parent, role, content, extra = {}) => ({
        id, parent_id: parent, role, kind: "message", content, state: "done", error: null,
        model: role === "assistant" ? "qwen3" : null, token_count: null, created_at: now, updated_at: now, ...extra,
      });
      const doc = {
        format: "hearth-history", version: 4, exported_at: now, personas: [],
        conversations: [{
          id: "e2e-thinking", title: "Counting letters", title_source: "user", model: null, system_prompt: null,
          persona_id: null, settings: {}, pinned: false, archived: false, created_at: now, updated_at: now,
          active_leaf_id: "e2e-thinking-a", tags: [],
          messages: [
            message("e2e-thinking-q", null, "user", "How many r's are in strawberry?"),
            message("e2e-thinking-a", "e2e-thinking-q", "assistant", answer, { reasoning: thinking, reasoning_ms: 4200 }),
          ],
        }],
      };
      const response = await fetch("/api/import", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc) });
      if (!response.ok) throw new Error(await response.text());
      return doc.conversations[0].id;
    },
    { thinking, answer },
  );
  await page.goto(`${url}/#/chat/${id}`);
  const reply = page.locator(".message.assistant").first();
  const block = reply.locator("details.thinking");
  await block.waitFor();
  assert.equal((await block.locator("summary").innerText()).trim(), "Thought for 4 s");
  // Folded: the thinking is not shown until asked for, the answer is, apart from it.
  const thought = block.locator(".thinking-text");
  assert.equal(await thought.isVisible(), false);
  assert.equal(await block.evaluate((d) => d.open), false);
  const text = reply.locator(".markdown:not(.thinking-text)");
  assert.equal((await text.innerText()).trim(), 'There are 3 r\'s in "strawberry".');
  await block.locator("summary").click();
  await thought.waitFor({ state: "visible" });
  assert.match(await thought.innerText(), /Let me spell it: s-t-r-a-w-b-e-r-r-y/);
  await shot("chat-thinking");
  // The keyboard opens and closes it too (a <summary> is a button to assistive tech).
  await block.locator("summary").focus();
  await page.keyboard.press("Enter");
  assert.equal(await block.evaluate((d) => d.open), false);

  // Search: the answer's words by default; the thinking's only with the setting on.
  const search = async (q) =>
    (await apiGet(`/api/search?q=${encodeURIComponent(q)}`))
      .filter((h) => h.conversation_id === id)
      .map((h) => h.message_id)
      .sort();
  assert.deepEqual(await search("spell"), []);
  assert.deepEqual(await search("strawberry"), ["e2e-thinking-a", "e2e-thinking-q"]);
  await page.goto(`${url}/#/settings`);
  const setting = page.getByLabel(/Search reasoning models' thinking too/);
  await setting.check();
  await page.click("button:has-text('Save')");
  await page.locator("text=Saved.").waitFor();
  assert.deepEqual(await search("spell"), ["e2e-thinking-a"]);
  await page.fill("#history-search", "spell");
  // The list may still show an earlier search's hits until this one's arrive.
  const hit = page.locator(".hits .hit", { hasText: "spell" }).first();
  await hit.waitFor();
  assert.match(await hit.innerHTML(), /<mark>spell<\/mark>/);
  await setting.uncheck();
  await page.click("button:has-text('Save')");
  await page.locator("text=Saved.").waitFor();
  assert.deepEqual(await search("spell"), []);
});

// A model that calls tools, on a second `hearth serve` of its own: Qwen2.5-Coder (its
// template offers tools; SmolLM2's does not) with the filesystem MCP server configured
// through the CLI before serve starts. The call waits for the user's "Allow once" in the
// chat, runs, its result is shown folded, the model answers from it, and the call is in
// the audit log.
await test(TOOL_TEST, async () => {
  const toolHome = mkdtempSync(join(tmpdir(), "hearth-e2e-tools-"));
  const shared = mkdtempSync(join(tmpdir(), "hearth-e2e-files-"));
  const sentence = "The lighthouse keeper feeds the grey cat at seven every evening.";
  const notesFile = join(shared, "notes.txt");
  writeFileSync(notesFile, `${sentence}\n`);
  const toolEnv = { ...process.env, HEARTH_HOME: toolHome, HEARTH_KEYRING: "off" };
  let child = null;
  let toolContext = null;
  let chat = null;
  try {
    mkdirSync(join(toolHome, "config"), { recursive: true });
    // CPU only: short answers (the tool list is a long prompt already), and room for it.
    writeFileSync(join(toolHome, "config/config.toml"), `context_length = 8192\nparallel = 1\n\n[sampling]\ntemperature = 0.0\nmax_tokens = 128\n`);
    execFileSync(hearthBin, ["models", "add", toolModel, "--id", "qwen2.5-coder", "--default"], { env: toolEnv, stdio: "inherit" });
    execFileSync(hearthBin, ["mcp", "add", "files", "--", process.execPath, filesystemServer, shared], { env: toolEnv, stdio: "inherit" });
    // The server's tools as the model will see them.
    const listed = JSON.parse(execFileSync(hearthBin, ["--json", "mcp", "tools"], { env: toolEnv, encoding: "utf8" }));
    assert.deepEqual(listed.errors, []);
    const readTool = listed.tools.find((t) => t.name === "files__read_text_file");
    assert.ok(readTool, `no files__read_text_file among ${listed.tools.map((t) => t.name).join(", ")}`);
    assert.equal(readTool.server, "files");
    assert.equal(readTool.tool, "read_text_file");

    const served = await serve(toolEnv);
    child = served.child;
    toolContext = await newContext();
    chat = watch(await toolContext.newPage());
    await chat.goto(served.started.login_url);
    await chat.waitForSelector("text=Ask anything");
    await chat.fill("#composer", `Use the read_text_file tool to read the file ${notesFile} and tell me what it says.`);
    await chat.keyboard.press("Enter");
    // The model's call waits for the user, with its arguments shown.
    const card = chat.locator('.message.streaming [role="group"][aria-label="Tool call: files__read_text_file"]').first();
    await card.waitFor(LONG);
    assert.equal(await card.getAttribute("data-status"), "pending");
    assert.match(await card.locator(".tool-name").innerText(), /files · read_text_file/);
    const args = await card.locator("pre.tool-arguments").innerText();
    assert.ok(args.includes(notesFile), args);
    assert.match(chat.url(), /#\/chat\/.+/);
    await chat.screenshot({ path: join(shots, "chat-tool-call-pending.png"), fullPage: true });
    await checkAccessibility(chat, "chat-tool-call-pending");
    // Nothing ran before the decision.
    assert.equal((await apiGet("/api/audit", chat)).filter((r) => r.purpose === "tool_call").length, 0);

    const allow = card.getByRole("button", { name: "Allow once", exact: true });
    assert.equal(await card.getByRole("button", { name: "Always allow", exact: true }).count(), 1);
    assert.equal(await card.getByRole("button", { name: "Deny", exact: true }).count(), 1);
    await allow.focus();
    await chat.keyboard.press("Enter");
    // The call runs and its result comes back (the live card, or the stored one if the
    // answer finished first).
    const answered = chat.locator('[role="group"][aria-label="Tool call: files__read_text_file"]:is([data-status="done"], [data-status="failed"])').first();
    await answered.waitFor(LONG);
    assert.equal(await answered.getAttribute("data-status"), "done", await answered.innerText());

    // The model writes again from the result; a further call it might make is refused,
    // so the answer ends.
    const finished = '.message.assistant[data-state="done"]';
    const answer = chat.locator(finished).first();
    const next = chat.locator('.message.streaming [role="group"][data-status="pending"]').first();
    for (;;) {
      await chat.locator(`${finished}, .message.streaming [role="group"][data-status="pending"]`).first().waitFor(LONG);
      if (await answer.count()) break;
      const id = await next.getAttribute("data-call-id");
      await next.getByRole("button", { name: "Deny", exact: true }).click();
      await chat.locator(`${finished}, [role="group"][data-call-id="${id}"][data-status="declined"]`).first().waitFor(LONG);
    }
    const stored = answer.locator('[role="group"][aria-label="Tool call: files__read_text_file"]').first();
    assert.equal(await stored.getAttribute("data-status"), "done");
    assert.equal((await stored.locator(".tool-approval").innerText()).trim(), "Allowed once");
    const result = stored.locator("details.tool-result");
    assert.equal(await result.evaluate((d) => d.open), false, "the result starts folded");
    assert.equal((await result.locator("summary").innerText()).trim(), "Result");
    await result.locator("summary").click();
    await result.locator("pre").waitFor({ state: "visible" });
    assert.ok((await result.locator("pre").innerText()).includes(sentence), await result.locator("pre").innerText());
    const text = (await answer.locator(".markdown:not(.tool-preamble)").innerText()).trim();
    assert.ok(text.length > 0, "the answer after the tool call is empty");
    await chat.screenshot({ path: join(shots, "chat-tool-call-done.png"), fullPage: true });
    await checkAccessibility(chat, "chat-tool-call-done");

    // The call is in the audit log.
    const audit = await apiGet("/api/audit", chat);
    assert.ok(audit.some((r) => r.purpose === "tool_call"), `no tool_call record in the audit log: ${JSON.stringify(audit)}`);

    // The conversation can stop offering tools; the switch is kept with it.
    await openChatSettings(chat);
    const toolsSwitch = chat.getByRole("checkbox", { name: "Tools" });
    assert.equal(await toolsSwitch.isChecked(), true);
    await toolsSwitch.uncheck();
    const conversationId = chat.url().split("#/chat/")[1];
    for (let i = 0; ; i++) {
      const view = await apiGet(`/api/conversations/${conversationId}`, chat);
      if (view.conversation.settings?.tools === false) break;
      assert.ok(i < 100, `the tools switch was not kept: ${JSON.stringify(view.conversation.settings)}`);
      await chat.waitForTimeout(100);
    }

    // Settings lists the server (running since the call), its tools with the words the
    // model reads, and a switch that turns it off.
    await chat.goto(`${served.started.url}/#/settings`);
    const servers = chat.locator('[aria-label="Tool servers"]');
    const row = servers.locator("tbody tr", { hasText: "files" });
    await row.waitFor(LONG);
    assert.match(await row.innerText(), /running/);
    await servers.getByRole("button", { name: "Show their tools" }).click();
    const described = servers.locator(".mcp-tools dt", { hasText: "files__read_text_file" });
    await described.waitFor(LONG);
    await chat.screenshot({ path: join(shots, "settings-mcp-servers.png"), fullPage: true });
    await checkAccessibility(chat, "settings-mcp-servers");
    // The listing reloads the servers after showing their tools; a switch flipped before
    // that reload lands would be drawn back to the state it read.
    await servers.getByRole("button", { name: "Show their tools" }).waitFor(LONG);
    await row.getByRole("checkbox", { name: "Offer the tools of files" }).uncheck();
    await row.locator("text=off").waitFor(LONG);
    const state = await apiGet("/api/mcp/servers", chat);
    assert.equal(state.servers[0].enabled, false, JSON.stringify(state));
  } catch (error) {
    await chat?.screenshot({ path: join(shots, "failed-tool-call.png"), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await toolContext?.close();
    if (child) {
      child.kill("SIGTERM");
      await new Promise((ok) => (child.exitCode !== null || child.signalCode !== null ? ok() : child.once("exit", ok)));
    }
    rmSync(toolHome, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  }
});

// Late: a refused adapter leaves the model's "did not load" banner up (/api/models/loading
// keeps the error of the load with the adapter), so it goes after the other pages' shots.
await test("a chat's adapter: a file that does not exist is refused with the reason", async () => {
  await page.goto(`${url}/#/chat`);
  await page.fill("#composer", "Say hello.");
  await page.keyboard.press("Enter");
  await page.locator('.message.assistant[data-state="done"]').first().waitFor(LONG);
  await openChatSettings(page);
  const form = page.locator('form[aria-label="LoRA adapter"]');
  await form.waitFor();
  const missing = join(home, "no-such-adapter.gguf");
  await form.locator('input[aria-label="Adapter file"]').fill(missing);
  await form.locator('input[aria-label="Adapter scale"]').fill("0.5");
  // The browser logs the refused request (400) itself; the page shows why.
  expectedErrors.push(/status of 400/);
  await form.locator('button[type="submit"]').click();
  const alert = page.locator('dialog.drawer [role="alert"]');
  await alert.waitFor(LONG);
  const message = await alert.innerText();
  assert.ok(message.includes(missing) && /LoRA adapter .* cannot be used: the file does not exist/.test(message), message);
  // Nothing was attached: the form is still there, not an attached adapter.
  assert.equal(await page.locator('.adapter.attached').count(), 0);
  const settings = await page.evaluate(async (id) => {
    const response = await fetch(`/api/conversations/${id}`);
    return (await response.json()).conversation.settings;
  }, decodeURIComponent(page.url().split("#/chat/")[1]));
  assert.equal(settings?.adapter, undefined);
  await shot("chat-adapter-refused");
});

// The backup made here is restored after everything is deleted.
let backup = null;
const allConversationIds = async () =>
  [...(await apiGet("/api/conversations")), ...(await apiGet("/api/conversations?archived=true"))].map((c) => c.id).sort();

await test("backup: every conversation, saved workflow and run downloads as one dated file", async () => {
  await page.goto(`${url}/#/settings`);
  const box = page.locator('fieldset[aria-label="Backup"]');
  await box.waitFor();
  if ((await allConversationIds()).length === 0) {
    // Run alone (HEARTH_E2E_ONLY): make something to back up.
    await page.evaluate(async () => {
      await fetch("/api/conversations", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title: "To back up" }) });
    });
    await page.reload();
    await box.waitFor();
  }
  const [download] = await Promise.all([page.waitForEvent("download", LONG), box.getByRole("button", { name: "Download a backup" }).click()]);
  assert.match(download.suggestedFilename(), /^hearth-backup-\d{4}-\d{2}-\d{2}\.json$/);
  const path = join(home, download.suggestedFilename());
  await download.saveAs(path);
  const doc = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(doc.format, "hearth-history");
  const ids = await allConversationIds();
  assert.deepEqual(doc.conversations.map((c) => c.id).sort(), ids);
  assert.equal((doc.workflow_runs ?? []).length, (await apiGet("/api/workflow-runs")).length);
  backup = { path, ids, runs: (doc.workflow_runs ?? []).length, workflows: (doc.workflows ?? []).length };
  await shot("settings-backup");
});

// Last but one: it deletes the history every scenario above made.
await test("delete everything: the button waits for the phrase, then the history is empty and the counts are shown", async () => {
  const api = (path) =>
    page.evaluate(async (path) => {
      return (await fetch(path)).json();
    }, path);
  await page.goto(`${url}/#/settings`);
  await page.fill("#history-search", "");
  const zone = page.locator('form[aria-label="Delete everything"]');
  await zone.waitFor();
  if ((await api("/api/conversations")).length === 0) {
    // Run alone (HEARTH_E2E_ONLY): make something to delete.
    await page.evaluate(async () => {
      await fetch("/api/conversations", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title: "To delete" }) });
    });
    await page.reload();
  }
  const before = {
    conversations: (await api("/api/conversations")).length + (await api("/api/conversations?archived=true")).length,
    collections: (await api("/api/collections")).length,
    runs: (await api("/api/workflow-runs")).length,
  };
  const sidebar = page.locator('section[aria-label="Conversations"] li');
  await sidebar.first().waitFor();
  const button = zone.locator('button[type="submit"]');
  assert.equal(await button.isDisabled(), true);
  const phrase = zone.locator('input[aria-label="Type delete everything to confirm"]');
  await phrase.fill("delete");
  assert.equal(await button.isDisabled(), true);
  await phrase.press("Enter");
  assert.equal(await zone.locator('[role="status"]').count(), 0, "Enter before the phrase deletes nothing");
  await phrase.fill("delete everything");
  assert.equal(await button.isDisabled(), false);
  await shot("settings-delete-everything");
  await button.click();
  const status = zone.locator('[role="status"]');
  await status.waitFor(LONG);
  const said = await status.innerText();
  const counted = said.match(/^Deleted (\d+) conversations? \((\d+) messages?\), (\d+) document collections?, (\d+) workflow runs?, (\d+) activity records?/);
  assert.ok(counted, said);
  const [conversations, , collections, runs] = counted.slice(1).map(Number);
  assert.deepEqual({ conversations, collections, runs }, before, said);
  assert.match(said, /Models and settings were kept\.$/);
  await page.locator('section[aria-label="Conversations"] .empty', { hasText: "No conversations yet" }).waitFor();
  assert.equal(await sidebar.count(), 0);
  assert.deepEqual(await api("/api/conversations"), []);
  assert.ok((await api("/api/models")).some((m) => m.id === "smollm2"), "models stay");
  await shot("settings-deleted-everything");
});

await test("restore: the backup brings every conversation back; again it is refused, then restored as copies", async () => {
  assert.ok(backup, "needs the backup scenario to have run (HEARTH_E2E_ONLY=backup|delete|restore)");
  await page.goto(`${url}/#/settings`);
  const box = page.locator('fieldset[aria-label="Backup"]');
  await box.waitFor();
  const input = box.locator('input[aria-label="Backup file to restore"]');
  await input.setInputFiles(backup.path);
  const status = box.locator('[role="status"]');
  await status.waitFor(LONG);
  const said = await status.innerText();
  assert.match(said, new RegExp(`^Restored ${backup.ids.length} conversations? \\(`), said);
  if (backup.runs > 0) assert.match(said, new RegExp(`${backup.runs} workflow runs?`), said);
  assert.deepEqual(await allConversationIds(), backup.ids);
  assert.equal((await apiGet("/api/workflow-runs")).length, backup.runs);
  await page.locator('section[aria-label="Conversations"] li').first().waitFor();
  // The same file again: nothing is overwritten or doubled; the page offers copies.
  expectedErrors.push(/status of 409/);
  await input.setInputFiles(backup.path);
  const copies = box.getByRole("button", { name: "Restore as copies" });
  await copies.waitFor(LONG);
  assert.deepEqual(await allConversationIds(), backup.ids, "a refused restore wrote nothing");
  await shot("settings-restore-refused");
  await copies.click();
  await status.waitFor(LONG);
  assert.equal((await allConversationIds()).length, 2 * backup.ids.length);
  assert.equal(await copies.count(), 0);
});

await browser.close();
server.kill("SIGTERM");
await new Promise((ok) => server.once("exit", ok));
rmSync(home, { recursive: true, force: true });

for (const problem of problems) console.log(`problem: ${problem}`);
if (only && results.length === 0) {
  console.log(`HEARTH_E2E_ONLY=${process.env.HEARTH_E2E_ONLY} matches no scenario; the scenarios are:\n${names.map((n) => `  ${n}`).join("\n")}`);
  process.exit(1);
}
const failed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - failed} passed, ${failed} failed; screenshots in ${shots}`);
process.exit(failed || problems.length ? 1 : 0);

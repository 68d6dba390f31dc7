// Browser benchmark of long histories in the web UI: whether a sidebar with 10,000
// conversations and a conversation with 2,000 messages open and scroll without jank.
//
// It builds a fresh HEARTH_HOME, imports a generated history with `hearth history import`
// (10,000 short conversations, plus one of 2,000 messages of mixed Markdown: paragraphs,
// lists, code blocks; every timestamp fixed, the text from a seeded generator, so every
// run sees the same history), adds the default model, starts `hearth serve` and logs in
// with its one-time link, as ui/e2e/run.mjs does. Then, in Debian's Chromium (headless,
// 1280x900), for each of RUNS fresh page loads:
//
//   sidebar first render   from navigation start to the first conversation links in the
//                          sidebar, after the frame that shows them is drawn
//   conversation render    from the hash change to the 2,000-message conversation's last
//                          message being shown (in view), after its frame is drawn
//   sidebar scroll         STEPS mouse-wheel steps of STEP_PX down the conversation list
//   conversation scroll    STEPS mouse-wheel steps of STEP_PX up the conversation, from its
//                          end
//
// While scrolling, frames are timed with requestAnimationFrame (frames over 50 ms, 95th
// percentile frame time) and long tasks with PerformanceObserver ("longtask" and
// "long-animation-frame"): total long-task time is how long the page could not answer
// input. The API's part is taken apart from the page's: in the page, from the resource
// timing of its fetch; and from Node, GET /api/conversations and GET
// /api/conversations/{id} timed directly against the server. Each figure is the median
// of the runs; the table prints every run too.
//
//   npm --prefix ui run build && node ui/e2e/long-history.mjs   (after `cargo build --release`)
//   npm --prefix ui run bench:history                            (the same)
//
// Settings (environment): HEARTH_BENCH_RUNS (3), HEARTH_BENCH_STEPS (100),
// HEARTH_BENCH_STEP_PX (400), HEARTH_BENCH_STEP_MS (50, the pause between wheel steps),
// HEARTH_BENCH_JSON (a file to write the figures to), HEARTH_BENCH_UI (the built UI to
// serve, ui/dist; another build to compare with), HEARTH_CHROMIUM (/usr/bin/chromium).

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { filesPresent, hearthBin, serveHearth, smollm2 as model, ui } from "./hearth-process.mjs";

const browserPath = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";
const uiDist = resolve(process.env.HEARTH_BENCH_UI ?? join(ui, "dist"));

const RUNS = Number(process.env.HEARTH_BENCH_RUNS ?? 3);
const STEPS = Number(process.env.HEARTH_BENCH_STEPS ?? 100);
const STEP_PX = Number(process.env.HEARTH_BENCH_STEP_PX ?? 400);
const STEP_MS = Number(process.env.HEARTH_BENCH_STEP_MS ?? 50);
const CONVERSATIONS = 10_000;
const LONG_MESSAGES = 2_000;
const LONG_ID = "long-history";
/** The last sentence of the long conversation's last message: it is rendered when this is. */
const LAST_WORDS = "That is the end of this long conversation.";

if (
  !filesPresent([
    [hearthBin, "build it with `cargo build --release`"],
    [join(uiDist, "index.html"), "build the UI with `npm --prefix ui run build`"],
    [model, "fetch it with `scripts/fetch-models.sh smollm2`"],
    [browserPath, "install Debian's chromium (`scripts/install-deps.sh`)"],
  ])
)
  process.exit(1);

// ---- The history -------------------------------------------------------------------

/** mulberry32: a small seeded generator, so every run imports the same text. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(26);
const pick = (list) => list[Math.floor(random() * list.length)];
const between = (low, high) => low + Math.floor(random() * (high - low + 1));

const WORDS = (
  "the a of to and in is that for it as with on this be are by or from at which can an " +
  "your you we will have more when each one two three first then also only these those " +
  "data model file value list function request server answer question document page table " +
  "memory cache index query result error version release build test change branch commit " +
  "kitchen garden recipe bread oven flour water salt yeast dough loaf butter onion garlic " +
  "travel train ticket station hotel museum harbour river mountain weather morning evening " +
  "budget invoice payment account contract meeting schedule deadline report summary draft " +
  "simple careful quick slow small large early late clear useful better different important " +
  "usually often sometimes rarely always never probably certainly quietly carefully together"
).split(" ");
const TOPICS = [
  "Plan a weekend in Lisbon", "Sourdough starter questions", "Fix the failing build", "Invoice reminder email",
  "Tomato blight in the garden", "SQL query for monthly totals", "Birthday party ideas", "Rust borrow checker error",
  "Summary of the board meeting", "Train from Vienna to Venice", "Budget for the new kitchen", "Cover letter draft",
  "Explain TCP handshakes", "Vegetarian lasagne", "Regex for dates", "Cat keeps waking me up", "Python CSV cleanup",
  "Translate a menu to French", "Bike tyre keeps going flat", "Notes on chapter three",
];
const CODE = {
  js: ["const total = items.reduce((sum, item) => sum + item.price * item.count, 0);", "export function slugify(text) {", "  return text.toLowerCase().replace(/[^a-z0-9]+/g, \"-\");", "}", "for (const row of rows) console.log(row.id, row.name);", "await fetch(`/api/items/${id}`, { method: \"DELETE\" });"],
  python: ["import csv", "with open(\"data.csv\", newline=\"\") as f:", "    for row in csv.DictReader(f):", "        totals[row[\"month\"]] += float(row[\"amount\"])", "print(sorted(totals.items()))", "def mean(values):", "    return sum(values) / len(values)"],
  rust: ["fn main() {", "    let words: Vec<&str> = text.split_whitespace().collect();", "    println!(\"{} words\", words.len());", "}", "impl Display for Report {", "    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result { write!(f, \"{}\", self.title) }", "}"],
  bash: ["set -euo pipefail", "for f in *.log; do gzip -9 \"$f\"; done", "find . -name '*.tmp' -delete", "git log --oneline | head -20", "du -sh ~/Downloads/* | sort -h"],
  sql: ["SELECT strftime('%Y-%m', created_at) AS month, SUM(amount)", "FROM payments", "WHERE status = 'paid'", "GROUP BY month", "ORDER BY month DESC;"],
};

function sentence(min = 8, max = 22) {
  const words = Array.from({ length: between(min, max) }, () => pick(WORDS));
  if (random() < 0.2) words[between(1, words.length - 1)] = `**${pick(WORDS)}**`;
  if (random() < 0.15) words[between(1, words.length - 1)] = `\`${pick(WORDS)}_${pick(WORDS)}\``;
  return `${words[0][0].toUpperCase()}${words.join(" ").slice(1)}.`;
}
const paragraph = () => Array.from({ length: between(2, 5) }, () => sentence()).join(" ");
function codeBlock() {
  const language = pick(Object.keys(CODE));
  const lines = Array.from({ length: between(4, 12) }, () => pick(CODE[language]));
  return `\`\`\`${language}\n${lines.join("\n")}\n\`\`\``;
}
function list() {
  const ordered = random() < 0.4;
  return Array.from({ length: between(3, 6) }, (_, i) => `${ordered ? `${i + 1}.` : "-"} ${sentence(4, 12)}`).join("\n");
}
/** An answer: paragraphs, and sometimes a heading, a list or a code block. */
function answer() {
  const parts = [paragraph()];
  if (random() < 0.1) parts.push(`### ${sentence(2, 5).slice(0, -1)}`);
  if (random() < 0.35) parts.push(list());
  if (random() < 0.25) parts.push(codeBlock());
  if (random() < 0.6) parts.push(paragraph());
  return parts.join("\n\n");
}
const question = () => Array.from({ length: between(1, 3) }, () => sentence(5, 16)).join(" ").replace(/\.$/, "?");

function message(conversation, index, parent, role, content, at) {
  return {
    id: `${conversation}-m${index}`, parent_id: parent, role, kind: "message", content, state: "done", error: null,
    model: role === "assistant" ? "smollm2" : null, token_count: role === "assistant" ? Math.ceil(content.length / 4) : null,
    created_at: at, updated_at: at,
  };
}
function conversation(id, title, at, count, pinned, last) {
  const messages = [];
  for (let i = 0; i < count; i++) {
    const role = i % 2 === 0 ? "user" : "assistant";
    let content = role === "user" ? question() : answer();
    if (i === count - 1 && last) content += `\n\n${last}`;
    messages.push(message(id, i, messages.at(-1)?.id ?? null, role, content, at - (count - i) * 60_000));
  }
  return {
    id, title, title_source: "user", model: null, system_prompt: null, persona_id: null, settings: {}, pinned, archived: false,
    created_at: at - count * 60_000, updated_at: at, active_leaf_id: messages.at(-1).id, tags: [], messages, context_summaries: [],
  };
}
/** 10,000 conversations, one every two hours from 2023 on (a few pinned), and the long one newest. */
function history() {
  const start = Date.UTC(2023, 0, 1);
  const hours = 3_600_000;
  const conversations = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    conversations.push(conversation(`c${String(i).padStart(5, "0")}`, `${pick(TOPICS)} (${i + 1})`, start + i * 2 * hours, between(2, 4), i % 2500 === 17, null));
  }
  conversations.push(conversation(LONG_ID, "A very long conversation", start + (CONVERSATIONS + 1) * 2 * hours, LONG_MESSAGES, false, LAST_WORDS));
  return { format: "hearth-history", version: 4, exported_at: start + (CONVERSATIONS + 2) * 2 * hours, personas: [], conversations };
}

// ---- The server --------------------------------------------------------------------

const home = mkdtempSync(join(tmpdir(), "hearth-bench-"));
const env = { ...process.env, HEARTH_HOME: home, HEARTH_KEYRING: "off" };
mkdirSync(join(home, "config"), { recursive: true });
writeFileSync(join(home, "config/config.toml"), `context_length = 2048\n`);
const historyFile = join(home, "history.json");
const doc = history();
writeFileSync(historyFile, JSON.stringify(doc));
const totalMessages = doc.conversations.reduce((n, c) => n + c.messages.length, 0);
let started = performance.now();
execFileSync(hearthBin, ["history", "import", historyFile], { env, stdio: ["ignore", "ignore", "inherit"] });
const importSeconds = (performance.now() - started) / 1000;
execFileSync(hearthBin, ["models", "add", model, "--id", "smollm2", "--default"], { env, stdio: ["ignore", "ignore", "inherit"] });

const { child: server, started: serving } = await serveHearth(env, uiDist);
const url = serving.url;
const token = readFileSync(serving.token_file, "utf8").trim();

/** The server's own time for a GET (from Node: no page, no rendering), median of 5. */
async function serverTime(path) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const response = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    bytes = (await response.arrayBuffer()).byteLength;
    if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
    times.push(performance.now() - t0);
  }
  return { ms: median(times), bytes };
}

// ---- In the page ---------------------------------------------------------------------

/** Installed before the app's own script: long tasks and long animation frames, and the
 * moment the sidebar's first conversation links are drawn. */
function instrument() {
  const bench = (window.__bench = { longTasks: [], frames: [], sidebar: null });
  const observe = (type, into) => {
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) into.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration ?? 0 });
      }).observe({ type, buffered: true });
    } catch {
      // Not supported by this browser: the figure stays empty.
    }
  };
  observe("longtask", bench.longTasks);
  observe("long-animation-frame", bench.frames);
  /** Runs `done` with the time after the next frame is drawn. */
  bench.afterPaint = (done) => requestAnimationFrame(() => setTimeout(() => done(performance.now()), 0));
  const links = () => document.querySelector('section[aria-label="Conversations"] a[href^="#/chat/"]');
  const watcher = new MutationObserver(() => {
    if (!links()) return;
    watcher.disconnect();
    bench.afterPaint((t) => (bench.sidebar = t));
  });
  document.addEventListener("DOMContentLoaded", () => watcher.observe(document.body, { childList: true, subtree: true }));
}

/** Waits until the page has had no long task for `quietMs` (at most `maxMs`). */
async function settle(page, quietMs = 600, maxMs = 20_000) {
  await page.evaluate(
    ([quietMs, maxMs]) =>
      new Promise((done) => {
        const began = performance.now();
        const check = () => {
          const now = performance.now();
          const last = Math.max(0, ...window.__bench.longTasks.map((t) => t.start + t.duration));
          if (now - last >= quietMs || now - began > maxMs) done();
          else setTimeout(check, 100);
        };
        setTimeout(check, quietMs);
      }),
    [quietMs, maxMs],
  );
}

/** Long-task time and count between two page times. */
function longTaskTotal(tasks, from, to) {
  const within = tasks.filter((t) => t.start >= from && t.start < to);
  return { ms: within.reduce((sum, t) => sum + t.duration, 0), count: within.length };
}

/** The sidebar's first links: time after navigation start, the API fetch, long tasks. */
async function openApp(page) {
  await page.goto(`${url}/#/chat`);
  await page.waitForFunction(() => window.__bench.sidebar !== null, null, { timeout: 120_000 });
  return page.evaluate(() => {
    const fetched = performance.getEntriesByType("resource").find((e) => /\/api\/conversations(\?|$)/.test(e.name));
    const at = window.__bench.sidebar;
    const tasks = window.__bench.longTasks.filter((t) => t.start < at);
    return {
      ms: at,
      apiMs: fetched ? fetched.responseEnd - fetched.startTime : null,
      longTaskMs: tasks.reduce((sum, t) => sum + t.duration, 0),
      rows: document.querySelectorAll('section[aria-label="Conversations"] a[href^="#/chat/"]').length,
    };
  });
}

/** From the hash change to the long conversation's last message shown at the bottom. */
async function openConversation(page) {
  const result = await page.evaluate(
    ([id, lastWords]) =>
      new Promise((done) => {
        const t0 = performance.now();
        const check = () => {
          const list = document.querySelector(".messages");
          const articles = list?.querySelectorAll("article.message");
          const last = articles?.[articles.length - 1];
          if (last && last.textContent.includes(lastWords)) {
            const box = list.getBoundingClientRect();
            const shown = last.getBoundingClientRect();
            if (shown.top < box.bottom && shown.bottom > box.top) {
              window.__bench.afterPaint((t) => done({ t0, t, articles: articles.length }));
              return;
            }
          }
          requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
        location.hash = `#/chat/${id}`;
      }),
    [LONG_ID, LAST_WORDS],
  );
  return page.evaluate(
    ({ t0, t, articles, id }) => {
      const fetched = performance.getEntriesByType("resource").find((e) => e.name.endsWith(`/api/conversations/${id}`) && e.startTime >= t0);
      const tasks = window.__bench.longTasks.filter((x) => x.start >= t0 && x.start < t);
      return {
        ms: t - t0,
        apiMs: fetched ? fetched.responseEnd - fetched.startTime : null,
        longTaskMs: tasks.reduce((sum, x) => sum + x.duration, 0),
        articles,
      };
    },
    { ...result, id: LONG_ID },
  );
}

/** Finds the element that scrolls `selector`'s matches (an ancestor) and tags it, and
 * the last match as the marker whose move says how far it scrolled. */
async function tagScroller(page, selector) {
  return page.evaluate((selector) => {
    document.querySelector("[data-bench-scroller]")?.removeAttribute("data-bench-scroller");
    document.querySelector("[data-bench-marker]")?.removeAttribute("data-bench-marker");
    const found = document.querySelectorAll(selector);
    found[found.length - 1]?.setAttribute("data-bench-marker", "");
    for (let el = found[0]; el; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) {
        el.setAttribute("data-bench-scroller", "");
        return true;
      }
    }
    return false;
  }, selector);
}

/** Wheel steps over the tagged scroller, with frame times and long tasks recorded. */
async function scroll(page, deltaY) {
  const box = await page.locator("[data-bench-scroller]").boundingBox();
  await page.mouse.move(box.x + box.width / 2, Math.min(box.y + box.height / 2, 700));
  await page.evaluate(() => {
    const bench = window.__bench;
    // How far it scrolled: from where an element inside it moved (the scroll position
    // alone would miss content added above while scrolling up), or failing that (the
    // element went from the DOM) from the scroll position.
    const scroller = document.querySelector("[data-bench-scroller]");
    const marker = scroller.querySelector("[data-bench-marker]");
    bench.recording = { times: [], from: performance.now(), top: scroller.scrollTop, marker, at: marker?.getBoundingClientRect().top };
    const tick = (t) => {
      if (!bench.recording || bench.recording.to) return;
      bench.recording.times.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const began = performance.now();
  for (let step = 0; step < STEPS; step++) {
    await page.mouse.wheel(0, deltaY);
    const next = began + (step + 1) * STEP_MS;
    await new Promise((wake) => setTimeout(wake, Math.max(0, next - performance.now())));
  }
  await page.waitForTimeout(500);
  return page.evaluate(() => {
    const bench = window.__bench;
    const recording = bench.recording;
    recording.to = performance.now();
    const deltas = recording.times.slice(1).map((t, i) => t - recording.times[i]).sort((a, b) => a - b);
    const tasks = bench.longTasks.filter((t) => t.start >= recording.from && t.start < recording.to);
    const frames = bench.frames.filter((f) => f.start >= recording.from && f.start < recording.to);
    bench.recording = null;
    return {
      frames: deltas.length,
      over50: deltas.filter((d) => d > 50).length,
      p95: deltas.length ? deltas[Math.min(deltas.length - 1, Math.floor(deltas.length * 0.95))] : null,
      worst: deltas.at(-1) ?? null,
      longTaskMs: tasks.reduce((sum, t) => sum + t.duration, 0),
      longFrames: frames.length,
      scrolledPx: recording.marker?.isConnected
        ? Math.abs(recording.marker.getBoundingClientRect().top - recording.at)
        : Math.abs(document.querySelector("[data-bench-scroller]").scrollTop - recording.top),
      items: document.querySelectorAll("[data-bench-scroller] :is(article.message, a[href^='#/chat/'])").length,
    };
  });
}

// ---- Runs ----------------------------------------------------------------------------

function median(values) {
  const sorted = values.filter((v) => v != null).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
await context.addInitScript(instrument);
{
  const login = await context.newPage();
  await login.goto(serving.login_url);
  await login.close();
}

const server1 = { list: await serverTime("/api/conversations?archived=false"), conversation: await serverTime(`/api/conversations/${LONG_ID}`) };
const runs = [];
for (let run = 0; run < RUNS; run++) {
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  const sidebar = await openApp(page);
  await settle(page);
  const conversation = await openConversation(page);
  await settle(page);
  if (!(await tagScroller(page, 'section[aria-label="Conversations"] a[href^="#/chat/"]'))) throw new Error("the sidebar's list does not scroll");
  await page.locator("[data-bench-scroller]").evaluate((el) => (el.scrollTop = 0));
  await settle(page, 300);
  const sidebarScroll = await scroll(page, STEP_PX);
  await settle(page, 300);
  if (!(await tagScroller(page, ".messages article.message"))) throw new Error("the conversation does not scroll");
  const conversationScroll = await scroll(page, -STEP_PX);
  runs.push({ sidebar, conversation, sidebarScroll, conversationScroll });
  console.error(`run ${run + 1} of ${RUNS} done`);
  await page.close();
}
const server2 = { list: await serverTime("/api/conversations?archived=false"), conversation: await serverTime(`/api/conversations/${LONG_ID}`) };

// ---- Report --------------------------------------------------------------------------

const rows = [];
const row = (label, unit, values) => rows.push({ label, unit, median: median(values), runs: values });
row("sidebar: first conversation links drawn", "ms", runs.map((r) => r.sidebar.ms));
row("  of which GET /api/conversations (in page)", "ms", runs.map((r) => r.sidebar.apiMs));
row("  long tasks before it", "ms", runs.map((r) => r.sidebar.longTaskMs));
row("  conversation links in the DOM", "", runs.map((r) => r.sidebar.rows));
row("conversation: last message drawn", "ms", runs.map((r) => r.conversation.ms));
row("  of which GET /api/conversations/{id} (in page)", "ms", runs.map((r) => r.conversation.apiMs));
row("  long tasks until then", "ms", runs.map((r) => r.conversation.longTaskMs));
row("  messages in the DOM", "", runs.map((r) => r.conversation.articles));
for (const [name, key] of [["sidebar scroll down", "sidebarScroll"], ["conversation scroll up", "conversationScroll"]]) {
  row(`${name}: frames over 50 ms`, "", runs.map((r) => r[key].over50));
  row(`  p95 frame time`, "ms", runs.map((r) => r[key].p95));
  row(`  worst frame`, "ms", runs.map((r) => r[key].worst));
  row(`  long-task time`, "ms", runs.map((r) => r[key].longTaskMs));
  row(`  long animation frames`, "", runs.map((r) => r[key].longFrames));
  row(`  frames drawn`, "", runs.map((r) => r[key].frames));
  row(`  distance scrolled`, "px", runs.map((r) => r[key].scrolledPx));
  row(`  ${key === "sidebarScroll" ? "conversation links" : "messages"} in the DOM after`, "", runs.map((r) => r[key].items));
}
const fmt = (v) => (v == null ? "–" : Number.isInteger(v) ? String(v) : v.toFixed(1));
const width = Math.max(...rows.map((r) => r.label.length));
console.log(
  `\nLong histories: ${CONVERSATIONS} conversations + one of ${LONG_MESSAGES} messages (${totalMessages} messages, imported in ${importSeconds.toFixed(1)} s)`,
);
console.log(`Chromium ${browser.version()}, headless, 1280x900; ${cpus().length} CPU cores; ${STEPS} wheel steps of ${STEP_PX} px every ${STEP_MS} ms; median of ${RUNS} runs\n`);
console.log(`${"".padEnd(width)}  ${"median".padStart(9)}   runs`);
for (const r of rows) console.log(`${r.label.padEnd(width)}  ${`${fmt(r.median)} ${r.unit}`.padStart(9)}   ${r.runs.map(fmt).join(" / ")}`);
console.log("\nServer alone (from Node, median of 5 before / after the runs):");
console.log(`  GET /api/conversations        ${fmt(server1.list.ms)} / ${fmt(server2.list.ms)} ms, ${(server1.list.bytes / 1e6).toFixed(2)} MB`);
console.log(`  GET /api/conversations/{id}   ${fmt(server1.conversation.ms)} / ${fmt(server2.conversation.ms)} ms, ${(server1.conversation.bytes / 1e6).toFixed(2)} MB`);
if (process.env.HEARTH_BENCH_JSON) {
  writeFileSync(process.env.HEARTH_BENCH_JSON, JSON.stringify({ chromium: browser.version(), cores: cpus().length, importSeconds, rows, server: [server1, server2], runs }, null, 2));
}

await browser.close();
server.kill("SIGTERM");
await new Promise((ok) => server.once("exit", ok));
rmSync(home, { recursive: true, force: true });

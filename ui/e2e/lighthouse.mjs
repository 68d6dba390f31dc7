// Lighthouse's accessibility and best-practices scores for the chat, documents, models
// and settings pages, in Debian's Chromium against `hearth serve` on the fixed world of
// fixture.mjs (desktop settings). The browser logs in with the one-time login link: its
// session cookie goes with every request Lighthouse makes. Prints a table of scores and
// fails when one is below 95.
//
//   node ui/e2e/lighthouse.mjs     (after `cargo build --release` and `npm run build`)
//   CHROME_PATH=/path/to/chrome node ui/e2e/lighthouse.mjs   (another browser)

import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import { fixtureReady, startFixture } from "./fixture.mjs";

const MIN_SCORE = 95;
const CATEGORIES = ["accessibility", "best-practices"];
const PAGES = [
  ["chat", "#/chat"],
  ["documents", "#/documents"],
  ["models", "#/models"],
  ["settings", "#/settings"],
];

if (!fixtureReady()) process.exit(1);
const fixture = await startFixture();
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH ?? "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
});
const rows = [];
const failing = [];
try {
  // The login link answers with the session cookie and a redirect to the app.
  const login = await fetch(fixture.loginUrl, { redirect: "manual" });
  const cookie = login.headers.get("set-cookie")?.split(";")[0];
  if (login.status !== 303 || !cookie?.startsWith("hearth_session_")) throw new Error(`the login link answered ${login.status} without a session cookie`);
  // A page that is not logged in still scores well, so the cookie is tried first.
  const api = await fetch(`${fixture.url}/api/conversations`, { headers: { Cookie: cookie } });
  if (api.status !== 200) throw new Error(`the session cookie does not open the API: ${api.status}`);
  for (const [name, hash] of PAGES) {
    const { lhr } = await lighthouse(
      `${fixture.url}/${hash}`,
      { port: chrome.port, output: "json", logLevel: "error", onlyCategories: CATEGORIES, extraHeaders: { Cookie: cookie } },
      desktopConfig,
    );
    if (lhr.runtimeError) throw new Error(`Lighthouse could not look at ${name}: ${lhr.runtimeError.message}`);
    const row = { page: name };
    for (const id of CATEGORIES) {
      const category = lhr.categories[id];
      const score = Math.round(category.score * 100);
      row[id] = score;
      if (score >= MIN_SCORE) continue;
      // What lost the points: the category's audits that did not pass.
      const lost = category.auditRefs
        .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
        .map((ref) => `${ref.id} (${lhr.audits[ref.id].title})`);
      failing.push(`${name}: ${id} ${score} < ${MIN_SCORE}; failed audits: ${lost.join(", ")}`);
    }
    rows.push(row);
  }
} finally {
  chrome.kill();
  await fixture.stop();
}

console.log(`\n| page | ${CATEGORIES.join(" | ")} |\n|---|${CATEGORIES.map(() => "---:").join("|")}|`);
for (const row of rows) console.log(`| ${row.page} | ${CATEGORIES.map((c) => row[c]).join(" | ")} |`);
for (const line of failing) console.log(`FAIL ${line}`);
process.exit(failing.length ? 1 : 0);

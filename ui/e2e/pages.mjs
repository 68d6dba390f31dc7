// Every page of the web UI, checked for accessibility and compared with its picture:
// on a fixed world (fixture.mjs: imported conversations, two notes, no model writing
// anything), a frozen clock, and this computer's memory pinned to 16 GB (what the Models
// page says of it), each page (a new chat, an imported conversation, documents,
// summarize, translate, check, workflows, models, activity, settings), in the light and
// dark themes, 390, 1280 and 1920 pixels wide, is
//   - checked with axe-core: a violation of serious or critical impact fails (axe.mjs;
//     HEARTH_AXE_REPORT_ONLY=1 prints them without failing), and
//   - photographed and compared with ui/e2e/baselines/<page>-<theme>-<width>.png by
//     pixelmatch: more than 0.2% of pixels different fails, and the picture and a diff
//     go to ui/e2e/screenshots/visual/.
//
//   node ui/e2e/pages.mjs          (after `cargo build --release` and `npm run build`)
//   HEARTH_UPDATE_BASELINES=1 node ui/e2e/pages.mjs   (writes the baselines instead,
//                                   after a change to the UI's looks; look at them
//                                   before committing)
//   HEARTH_PAGES_ONLY=models node ui/e2e/pages.mjs    (only pages whose names match)

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";
import { checkAccessibility } from "./axe.mjs";
import { CONVERSATION, NOW, fixtureReady, startFixture, ui } from "./fixture.mjs";

const browserPath = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";
const baselines = join(ui, "e2e/baselines");
const visual = join(ui, "e2e/screenshots/visual");
const update = process.env.HEARTH_UPDATE_BASELINES === "1";
const only = process.env.HEARTH_PAGES_ONLY ? new RegExp(process.env.HEARTH_PAGES_ONLY, "i") : null;
/** Per pixel: how different two colours may be and still count as the same (0 to 1). */
const PIXEL_THRESHOLD = 0.1;
/** Per picture: the share of pixels that may differ. */
const MAX_DIFFERENT = 0.002;

/** name, address, an element that is there once the page has loaded its data, and what
 * to do before the picture. */
const PAGES = [
  { name: "chat-new", hash: "#/chat", ready: "#composer" },
  {
    name: "chat-conversation",
    hash: `#/chat/${CONVERSATION}`,
    ready: '.message.assistant[data-state="done"] table',
    // The page scrolls to the end when the conversation arrives, before its layout is
    // done, so it stops short by as much as the layout grew after: scrolled here instead.
    prepare: (page) => page.locator(".message").last().evaluate((message) => message.scrollIntoView({ block: "end" })),
  },
  { name: "documents", hash: "#/documents", ready: "text=Kitchen notes" },
  { name: "summarize", hash: "#/summarize", ready: "#summary-text" },
  { name: "translate", hash: "#/translate", ready: "#translate-text" },
  { name: "check", hash: "#/check", ready: "#check-text" },
  { name: "workflows", hash: "#/workflows", ready: "text=New workflow" },
  { name: "models", hash: "#/models", ready: 'li[aria-label="Model smollm2"]' },
  { name: "activity", hash: "#/activity", ready: "table.audit-log" },
  { name: "settings", hash: "#/settings", ready: "text=Sampling" },
].filter((p) => !only || only.test(p.name));
const THEMES = ["light", "dark"];
const SIZES = [
  { width: 390, height: 844 },
  { width: 1280, height: 900 },
  { width: 1920, height: 900 },
];

if (!fixtureReady()) process.exit(1);
if (!existsSync(browserPath)) {
  console.error(`missing ${browserPath}: install Debian's chromium (\`scripts/install-deps.sh\`)`);
  process.exit(1);
}
if (PAGES.length === 0) {
  console.error(`HEARTH_PAGES_ONLY=${process.env.HEARTH_PAGES_ONLY} matches no page`);
  process.exit(1);
}
rmSync(visual, { recursive: true, force: true });
mkdirSync(visual, { recursive: true });
mkdirSync(baselines, { recursive: true });

const fixture = await startFixture();
const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--font-render-hinting=none"],
});
const failures = [];
let axeReported = 0;
try {
  // Log in once; every context below starts with that session cookie.
  const login = await browser.newContext();
  await (await login.newPage()).goto(fixture.loginUrl);
  const { cookies } = await login.storageState();
  await login.close();

  for (const theme of THEMES) {
    const context = await browser.newContext({ colorScheme: theme, locale: "en-US", timezoneId: "UTC", reducedMotion: "reduce", deviceScaleFactor: 1, storageState: { cookies, origins: [] } });
    await context.clock.setFixedTime(NOW);
    await context.addInitScript((theme) => localStorage.setItem("hearth.theme", theme), theme);
    await pinThisComputer(context);
    for (const size of SIZES) {
      for (const spec of PAGES) {
        const name = `${spec.name}-${theme}-${size.width}`;
        const page = await context.newPage();
        page.on("pageerror", (error) => failures.push(`${name}: page error: ${error.message}`));
        page.on("console", (m) => m.type() === "error" && failures.push(`${name}: console error: ${m.text()} (${m.location()?.url})`));
        try {
          await page.setViewportSize(size);
          await page.goto(`${fixture.url}/${spec.hash}`);
          await page.locator(spec.ready).first().waitFor({ state: "attached" });
          await page.waitForLoadState("networkidle");
          await page.evaluate(() => document.fonts.ready.then(() => undefined));
          await spec.prepare?.(page);
          const picture = await page.screenshot({ animations: "disabled", caret: "hide" });
          try {
            compare(name, picture);
          } catch (error) {
            failures.push(`${name}: ${error.message}`);
          }
          if ((await checkAccessibility(page, name)).length) axeReported++;
        } catch (error) {
          failures.push(`${name}: ${error.message}`);
        } finally {
          await page.close();
        }
      }
    }
    await context.close();
  }
} finally {
  await browser.close();
  await fixture.stop();
}

/** What the Models page says of this computer (its memory, what the loaded models hold,
 * and so the model recommended for it) is the same 16 GB machine whatever runs this, so
 * the pictures are the same on every machine. */
async function pinThisComputer(context) {
  const GB = 1024 ** 3;
  const pin = (path, change) =>
    context.route(`**${path}`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: change(await response.json()) });
    });
  await pin("/api/models/choices", (choices) => ({
    ...choices,
    total_memory: 16 * GB,
    available_memory: 12 * GB,
    recommendation: {
      catalog_id: "qwen2.5-7b",
      name: "Qwen2.5 7B Instruct",
      ram_bytes: 6e9,
      size_bytes: 4683073504,
      license: "Apache-2.0",
      installed: false,
      reason: "This computer has 16.0 GB of memory; Qwen2.5 7B Instruct needs about 5.6 GB, which leaves the rest for your other programs.",
    },
  }));
  await pin("/api/models/loaded", (loaded) => ({ ...loaded, budget_bytes: 0.7 * 16 * GB, used_bytes: 0, embedding_bytes: 0 }));
}

/** Writes the baseline (HEARTH_UPDATE_BASELINES=1) or compares the picture with it. */
function compare(name, picture) {
  const baseline = join(baselines, `${name}.png`);
  if (update) return writeFileSync(baseline, picture);
  if (!existsSync(baseline)) {
    writeFileSync(join(visual, `${name}.png`), picture);
    throw new Error(`no baseline ${baseline}; make the baselines with HEARTH_UPDATE_BASELINES=1 node ui/e2e/pages.mjs and look at them before committing`);
  }
  const expected = PNG.sync.read(readFileSync(baseline));
  const actual = PNG.sync.read(picture);
  const { width, height } = expected;
  if (actual.width !== width || actual.height !== height) {
    writeFileSync(join(visual, `${name}.png`), picture);
    throw new Error(`the picture is ${actual.width}×${actual.height}, the baseline ${width}×${height}`);
  }
  const diff = new PNG({ width, height });
  const different = pixelmatch(expected.data, actual.data, diff.data, width, height, { threshold: PIXEL_THRESHOLD });
  const share = different / (width * height);
  if (share > MAX_DIFFERENT) {
    writeFileSync(join(visual, `${name}.png`), picture);
    writeFileSync(join(visual, `${name}-diff.png`), PNG.sync.write(diff));
    throw new Error(`${(share * 100).toFixed(2)}% of pixels differ from ${baseline} (at most ${MAX_DIFFERENT * 100}%); see ${join(visual, name)}.png and -diff.png`);
  }
}

for (const failure of failures) console.log(`FAIL ${failure}`);
const total = PAGES.length * THEMES.length * SIZES.length;
const reported = axeReported ? ` (and axe violations on ${axeReported}, reported only: HEARTH_AXE_REPORT_ONLY=1)` : "";
console.log(`\n${total} page views ${update ? "photographed as baselines" : "checked"}; ${failures.length} problem${failures.length === 1 ? "" : "s"}${reported}`);
process.exit(failures.length ? 1 : 0);

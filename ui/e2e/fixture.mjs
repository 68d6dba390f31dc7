// The fixed world the UI quality checks (pages.mjs, lighthouse.mjs) look at: a fresh
// HEARTH_HOME with the default model (SmolLM2) and the embedding model added, a history
// imported from a JSON export written here (conversations with fixed ids, times and
// text, one answer with a code block and a table), and a collection of two small notes;
// then `hearth serve` on it. Nothing here asks a model to write, so every page looks the
// same on every run. Not run on its own: the scripts above import it.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filesPresent, hearthBin, minilm, serveHearth, smollm2 as model, ui } from "./hearth-process.mjs";

export { ui };

/** The moment the browser's clock is frozen at: Monday 16 June 2025, 10:00 UTC. */
export const NOW = Date.UTC(2025, 5, 16, 10, 0);
/** The imported conversation with the Markdown answer (code block and table). */
export const CONVERSATION = "conv-sourdough";

const minutes = (n) => n * 60 * 1000;
const days = (n) => n * 24 * 60 * 60 * 1000;

/** A conversation of alternating user/assistant turns, `at` ms, a minute apart. */
function conversation(id, title, at, turns, extra = {}) {
  const messages = turns.map((content, i) => ({
    id: `${id}-m${i + 1}`,
    parent_id: i === 0 ? null : `${id}-m${i}`,
    role: i % 2 === 0 ? "user" : "assistant",
    kind: "message",
    content,
    state: "done",
    error: null,
    model: i % 2 === 0 ? null : "smollm2",
    token_count: i % 2 === 0 ? null : Math.ceil(content.length / 4),
    created_at: at + minutes(i),
    updated_at: at + minutes(i),
  }));
  return {
    id,
    title,
    title_source: "user",
    model: "smollm2",
    system_prompt: null,
    persona_id: null,
    settings: {},
    pinned: false,
    archived: false,
    created_at: at,
    updated_at: at + minutes(turns.length - 1),
    active_leaf_id: messages.at(-1).id,
    tags: [],
    messages,
    ...extra,
  };
}

const sourdoughAnswer = `Feed it once a day at room temperature, or once a week if it lives in the fridge.

| Where it lives | How often | Starter : flour : water |
| --- | --- | --- |
| Counter (22 °C) | every 24 hours | 1 : 1 : 1 |
| Counter, warm kitchen | every 12 hours | 1 : 2 : 2 |
| Fridge | every 7 days | 1 : 5 : 5 |

To work out the amounts for a feed:

\`\`\`python
def feed(starter_g, ratio=(1, 1, 1)):
    s, f, w = ratio
    return {"flour_g": starter_g * f / s, "water_g": starter_g * w / s}

print(feed(50, (1, 2, 2)))  # {'flour_g': 100.0, 'water_g': 100.0}
\`\`\`

It is ready to bake with when it **doubles** within 4–6 hours of a feed.`;

/** The history as `hearth history export` writes it. */
function history() {
  const today = NOW - minutes(48);
  return {
    format: "hearth-history",
    version: 4,
    exported_at: NOW,
    personas: [],
    conversations: [
      conversation(CONVERSATION, "Feeding a sourdough starter", today, [
        "How often should I feed my sourdough starter, and in what ratio?",
        sourdoughAnswer,
      ]),
      conversation("conv-lease", "Lease review notes", NOW - days(6), [
        "Is a three-month deposit normal for a flat lease?",
        "In many places the law caps a deposit at **two or three months' rent**. Check your local tenancy rules before you sign.",
      ], { pinned: true }),
      conversation("conv-regex", "Regex for ISO dates", NOW - days(1) - minutes(90), [
        "Write a regular expression that matches an ISO date like 2025-06-16.",
        "Use `^\\d{4}-\\d{2}-\\d{2}$`; it checks the shape, not whether the day exists.",
      ]),
      conversation("conv-letter", "Letter to the landlord", NOW - days(4), [
        "Draft a short, polite note asking for the boiler to be repaired.",
        "Dear Ms Novak,\n\nThe boiler in flat 3 has stopped heating water since Friday. Could you arrange a repair this week?\n\nKind regards,\nSam",
      ]),
      conversation("conv-bike", "Bicycle maintenance", Date.UTC(2025, 2, 4, 18, 30), [
        "How often should I oil a bike chain?",
        "Every 150–300 km, or after riding in the rain. Wipe off the excess oil afterwards.",
      ]),
    ],
  };
}

/** Whether the files the fixture needs are here; prints what is missing and how to get it. */
export function fixtureReady() {
  return filesPresent([
    [hearthBin, "build it with `cargo build --release`"],
    [join(ui, "dist/index.html"), "build the UI with `npm --prefix ui run build`"],
    [model, "fetch it with `scripts/fetch-models.sh smollm2`"],
    [minilm, "fetch it with `scripts/fetch-models.sh minilm`"],
  ]);
}

/** Makes the fixture's home and starts `hearth serve` on it. Resolves with the server's
 * url, its one-time loginUrl, and stop() (which also deletes the home). */
export async function startFixture() {
  const home = mkdtempSync(join(tmpdir(), "hearth-pages-"));
  const env = { ...process.env, HEARTH_HOME: home, HEARTH_KEYRING: "off" };
  const run = (...args) => execFileSync(hearthBin, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  run("models", "add", model, "--id", "smollm2", "--default");
  run("models", "convert", minilm, "--id", "all-MiniLM-L6-v2");
  const exported = join(home, "history.json");
  writeFileSync(exported, JSON.stringify(history(), null, 2));
  run("history", "import", exported);
  const notes = join(home, "notes");
  mkdirSync(notes);
  writeFileSync(join(notes, "bread.md"), "# Sourdough bread\n\nKnead the dough for ten minutes until it is smooth.\n\n## Baking\n\nBake the loaf at 230 degrees Celsius for forty minutes.\n");
  writeFileSync(join(notes, "bike.txt"), "Fixing a flat bicycle tyre: remove the wheel, find the puncture under water, patch the tube and refit it.\n");
  run("docs", "add", "Kitchen notes", notes);

  const { child, started } = await serveHearth(env, join(ui, "dist"));
  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((ok) => child.once("exit", ok));
    }
    rmSync(home, { recursive: true, force: true });
  }
  return { url: started.url, loginUrl: started.login_url, stop };
}

// End-to-end test of the desktop app: the built `hearth-desktop` in a real window under
// Xvfb, driven through `tauri-driver` and WebKitWebDriver with plain W3C WebDriver calls.
// On a fresh HEARTH_HOME with the real default model (SmolLM2): a chat message streams
// its answer over IPC; after the app is closed and started again the window is where it
// was left and the conversation is in the history with its answer; a second launch with
// a document hands it to the first (the chat on screen takes it) and exits; the menu's
// shortcuts and its Open Document… item, and the page's own button, work through GTK's
// real open dialog (driven with xdotool); a file dragged from another application
// (examples/drag_source.rs) and dropped on the window lands on Summarize and on the chat;
// a summary that ends while another window is in front is announced through the desktop
// notification service (dunst on the test's own D-Bus session), and not while Hearth is;
// Settings' Download a backup goes through GTK's real save dialog to the chosen file;
// the web view cannot call a command it was not granted nor reach the network;
// screenshots go to tests/desktop/screenshots/.
//
//   node tests/desktop/run.mjs    (after `npm --prefix ui run build` and
//                                  `cargo build --release --workspace --all-targets`)

import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
// HEARTH_DESKTOP_APP runs the checks on another build, such as the one a .deb installed.
const app = process.env.HEARTH_DESKTOP_APP ?? join(root, "target/release/hearth-desktop");
const hearthBin = join(root, "target/release/hearth");
const model = join(root, ".models/SmolLM2-135M-Instruct.Q4_1.gguf");
const dragSource = join(root, "target/release/examples/drag_source");
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const shots = join(here, "screenshots");
const PORT = Number(process.env.HEARTH_TEST_DRIVER_PORT ?? 4444);

const missing = [
  [app, "build it with `cargo build --release --workspace` (after `npm --prefix ui run build`)"],
  [hearthBin, "build it with `cargo build --release --workspace`"],
  [dragSource, "build it with `cargo build --release --workspace --all-targets`"],
  [model, "fetch it with `scripts/fetch-models.sh smollm2`"],
  ["/usr/bin/WebKitWebDriver", "install Debian's webkit2gtk-driver (`scripts/install-deps.sh`)"],
  ["/usr/bin/Xvfb", "install Debian's xvfb (`scripts/install-deps.sh`)"],
  ["/usr/bin/dunst", "install Debian's dunst (`scripts/install-deps.sh`)"],
].filter(([path]) => !existsSync(path));
for (const [path, how] of missing) console.error(`missing ${path}: ${how}`);
try {
  execFileSync(driverBin, ["--help"], { stdio: "ignore" });
} catch {
  console.error("missing tauri-driver: install it with `cargo install tauri-driver --version 2.1.0 --locked`");
  process.exit(1);
}
if (missing.length) process.exit(1);
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

// A fresh home with the default model, as `hearth models add --default` leaves it.
const home = mkdtempSync(join(tmpdir(), "hearth-desktop-e2e-"));
mkdirSync(join(home, "config"), { recursive: true });
writeFileSync(join(home, "config/config.toml"), `context_length = 2048\nparallel = 2\n\n[sampling]\ntemperature = 0.0\nmax_tokens = 40\n`);
const env = { ...process.env, HEARTH_HOME: home };
execFileSync(hearthBin, ["models", "add", model, "--id", "smollm2", "--default"], { env, stdio: "inherit" });

const children = [];
function start(command, args, extraEnv = {}) {
  const child = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ["ignore", "inherit", "inherit"] });
  children.push(child);
  return child;
}
function cleanUp() {
  for (const child of children.reverse()) child.kill("SIGTERM");
  // The app's model worker saves its conversation contexts as it stops, so files can
  // still appear in the home for a moment: retry until it has finished.
  try {
    rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  } catch (error) {
    console.error(`could not remove ${home}: ${error.message}`);
  }
}
process.on("exit", cleanUp);

// A session bus of our own: the single-instance handover and notifications use D-Bus.
const bus = spawn("dbus-daemon", ["--session", "--nofork", "--print-address"], { stdio: ["ignore", "pipe", "inherit"] });
children.push(bus);
env.DBUS_SESSION_BUS_ADDRESS = await new Promise((ok, fail) => {
  bus.stdout.once("data", (line) => ok(String(line).trim()));
  bus.once("exit", (code) => fail(new Error(`dbus-daemon exited with ${code}`)));
});

// A display of our own, whatever the machine has.
const display = process.env.HEARTH_TEST_DISPLAY ?? ":87";
start("Xvfb", [display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"]);
env.DISPLAY = display;
await sleep(500);
// A notification service on that bus that prints what it is asked to show.
let notifications = "";
const notifier = spawn("dunst", ["-print"], { env, stdio: ["ignore", "pipe", "inherit"] });
children.push(notifier);
notifier.stdout.on("data", (chunk) => (notifications += chunk));
start(driverBin, ["--port", String(PORT), "--native-port", String(PORT + 1)]);

/** Real X input through xdotool: the menu's shortcuts and the native dialogs are GTK's,
 * out of WebDriver's reach. */
function xdo(...args) {
  return execFileSync("xdotool", args, { env }).toString().trim();
}
/** Focuses the visible window titled `title` (waiting for it to appear). */
function focusWindow(title) {
  const id = xdo("search", "--sync", "--onlyvisible", "--name", `^${title}$`).split("\n")[0];
  xdo("windowfocus", "--sync", id);
  return id;
}
/** Drags `path` out of a window of its own (a GTK drag source, as a file manager offers
 * a file) and drops it on the middle of Hearth's window with real pointer motion.
 * Returns the source's window id; the source stays open until `drop()` is awaited. */
async function dragFile(path, hearthRect) {
  const source = spawn(dragSource, [path, "1100", "780"], { env, stdio: ["ignore", "pipe", "inherit"] });
  children.push(source);
  let said = "";
  source.stdout.on("data", (chunk) => (said += chunk));
  await new Promise((ok, fail) => {
    source.stdout.once("data", ok);
    source.once("exit", (code) => fail(new Error(`the drag source exited with ${code}`)));
  });
  const id = xdo("search", "--sync", "--onlyvisible", "--name", "^Hearth drag source$").split("\n")[0];
  await sleep(300);
  xdo("mousemove", "--sync", "1180", "830");
  xdo("mousedown", "1");
  const to = [Math.round(hearthRect.x + hearthRect.width / 2), Math.round(hearthRect.y + hearthRect.height / 2)];
  // GTK starts a drag only after the pointer moves past its threshold, then follows it.
  for (let i = 1; i <= 12; i++) {
    xdo("mousemove", String(Math.round(1180 + ((to[0] - 1180) * i) / 12)), String(Math.round(830 + ((to[1] - 830) * i) / 12)));
    await sleep(60);
  }
  await sleep(300);
  xdo("mouseup", "1");
  for (let i = 0; i < 100 && !said.includes("dropped"); i++) await sleep(100);
  assert.ok(said.includes("dropped"), "the drag should have ended on Hearth's window");
  return { id, close: () => source.kill("SIGTERM") };
}
/** Answers GTK's open dialog: types the path into its location field. */
async function chooseInDialog(path) {
  focusWindow("Open a document");
  await sleep(300);
  xdo("key", "ctrl+l");
  await sleep(200);
  xdo("type", "--delay", "10", path);
  await sleep(200);
  xdo("key", "Return");
}

async function wd(method, path, body) {
  const response = await fetch(`http://127.0.0.1:${PORT}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

async function waitForDriver() {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(`http://127.0.0.1:${PORT}/status`);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error("tauri-driver did not start");
}

class Session {
  static async launch() {
    const value = await wd("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
    });
    return new Session(value.sessionId);
  }
  constructor(id) {
    this.id = id;
  }
  run(script, ...args) {
    return wd("POST", `/session/${this.id}/execute/sync`, { script, args });
  }
  runAsync(script, ...args) {
    return wd("POST", `/session/${this.id}/execute/async`, { script, args });
  }
  async find(css) {
    const element = await wd("POST", `/session/${this.id}/element`, { using: "css selector", value: css });
    return Object.values(element)[0];
  }
  async type(css, text) {
    await wd("POST", `/session/${this.id}/element/${await this.find(css)}/value`, { text });
  }
  async click(css) {
    await wd("POST", `/session/${this.id}/element/${await this.find(css)}/click`, {});
  }
  /** Polls `script` until it returns something truthy; a generous limit only so a
   * broken app fails instead of hanging. */
  async until(what, script, ...args) {
    for (let i = 0; i < 1200; i++) {
      const value = await this.run(script, ...args).catch(() => null);
      if (value) return value;
      await sleep(100);
    }
    await this.screenshot(`failed-${what.replace(/\W+/g, "-")}`).catch(() => {});
    throw new Error(`timed out waiting for ${what}`);
  }
  async screenshot(name) {
    // WebKit paints a moment after the DOM changes; let the window catch up.
    await sleep(800);
    const png = await wd("GET", `/session/${this.id}/screenshot`);
    const file = join(shots, `${name}.png`);
    writeFileSync(file, Buffer.from(png, "base64"));
    return file;
  }
  /** Closes the app and waits until its process has ended (it saves on the way out). */
  async close() {
    await wd("DELETE", `/session/${this.id}`);
    for (let i = 0; i < 600; i++) {
      try {
        execFileSync("pgrep", ["-f", "-x", app], { stdio: "ignore" });
      } catch {
        return; // no process left
      }
      await sleep(100);
    }
    throw new Error("the app did not exit after its window closed");
  }
}

await waitForDriver();
const question = "What colour is the sky on a clear day?";

// First launch: chat with the real model.
let session = await Session.launch();
await session.until("the chat page", `return document.querySelector("#composer") !== null`);
assert.equal(await session.run(`return "__TAURI_INTERNALS__" in window`), true, "the UI should run inside the app");
// Watch the answer arrive piece by piece.
await session.run(`
  window.__streamed = [];
  new MutationObserver(() => {
    const live = document.querySelector(".message.assistant.streaming");
    if (live && live.textContent.trim()) window.__streamed.push(live.textContent.length);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
`);
await session.type("#composer", question);
await session.click('.composer button[type="submit"]');
const answer = await session.until(
  "the finished answer",
  `const done = document.querySelector('.message.assistant[data-state="done"] .markdown');
   return done && done.textContent.trim();`,
);
const streamed = await session.run(`return window.__streamed`);
assert.ok(streamed.length >= 2, `the answer should stream in pieces, saw ${JSON.stringify(streamed)}`);
assert.ok(answer.length > 0);
console.log(`answer streamed in ${streamed.length} updates: ${JSON.stringify(answer.slice(0, 80))}`);
console.log(`screenshot: ${await session.screenshot("1-chat-answered")}`);

// Locked down: a command no capability grants is refused, and the page cannot reach the
// network (the policy allows IPC only), checked against a server that records requests.
const denied = await session.runAsync(`
  const done = arguments[arguments.length - 1];
  window.__TAURI_INTERNALS__.invoke("plugin:dialog|open", { options: {} })
    .then(() => done("allowed"), (e) => done(String(e)));
`);
assert.notEqual(denied, "allowed", "a command outside the capabilities must be refused");
console.log(`an ungranted command is refused: ${denied}`);
let reached = 0;
const listener = createServer((_, response) => {
  reached += 1;
  response.end("ok");
});
await new Promise((ok) => listener.listen(0, "127.0.0.1", ok));
const fetched = await session.runAsync(`
  const done = arguments[arguments.length - 1];
  fetch(arguments[0]).then(() => done("fetched"), (e) => done(String(e)));
`, `http://127.0.0.1:${listener.address().port}/leak`);
listener.close();
assert.notEqual(fetched, "fetched");
assert.equal(reached, 0, "the web view must not reach a server other than Hearth");
console.log(`the network is closed to the page: ${fetched}`);
// The model titles the conversation in the background; wait for its title in the
// history (not the "Untitled" placeholder), which must come back after the restart.
const written = await session.until(
  "the model's title in the history",
  `const link = document.querySelector('nav a[href^="#/chat/"], aside a[href^="#/chat/"]');
   const text = link && link.textContent.trim();
   return text && text !== "Untitled" ? text : null;`,
);
console.log(`the model titled the conversation "${written}"`);
// Move and resize the window; the next launch opens it there.
const placed = { x: 70, y: 60, width: 1010, height: 690 };
await wd("POST", `/session/${session.id}/window/rect`, placed);
await sleep(1500);
const before = await wd("GET", `/session/${session.id}/window/rect`);
await session.close();

// Second launch: the window where it was left; the conversation is in the history,
// with its answer.
session = await Session.launch();
await session.until("the page", `return document.querySelector("#composer") !== null`);
const after = await wd("GET", `/session/${session.id}/window/rect`);
assert.deepEqual([after.width, after.height], [before.width, before.height], `size kept: ${JSON.stringify({ before, after })}`);
assert.deepEqual([after.x, after.y], [before.x, before.y], `place kept: ${JSON.stringify({ before, after })}`);
console.log(`the window reopened at ${JSON.stringify(after)}`);
const title = await session.until(
  "the conversation in the history",
  `const link = document.querySelector('nav a[href^="#/chat/"], aside a[href^="#/chat/"]');
   return link && link.textContent.trim();`,
);
assert.equal(title, written, "the title written before the restart should be the one listed after it");
await session.click('aside a[href^="#/chat/"], nav a[href^="#/chat/"]');
const kept = await session.until(
  "the saved answer",
  `const done = document.querySelector('.message.assistant[data-state="done"] .markdown');
   return done && done.textContent.trim();`,
);
assert.equal(kept, answer, "the answer after a restart should be the one streamed");
const asked = await session.run(`return document.querySelector(".message.user")?.textContent ?? ""`);
assert.ok(asked.includes(question), `the question should be kept, saw ${asked}`);
console.log(`after a restart the history has "${title}" with its answer`);
console.log(`screenshot: ${await session.screenshot("2-history-after-restart")}`);

// A second launch with a document hands it to the running app and exits: the chat on
// screen takes it, read by Hearth from its path, for the next message.
const notes = join(home, "notes.md");
writeFileSync(notes, "# Trip\n\nPack the tent, the stove and two maps.\n");
const second = spawn(app, [notes], { env, stdio: "inherit" });
const code = await new Promise((ok) => second.once("exit", ok));
assert.equal(code, 0, "the second launch should hand over and exit");
const chosen = await session.until(
  "the handed-over document attached to the chat",
  `return document.querySelector('.attachments')?.textContent;`,
);
assert.ok(chosen.includes("notes.md") && chosen.includes("characters"), chosen);
console.log(`a second launch handed over ${chosen.trim()}`);
console.log(`screenshot: ${await session.screenshot("3-second-launch-handed-over")}`);

// The menu's shortcuts, pressed on the window as a user would.
focusWindow("Hearth");
xdo("key", "ctrl+comma");
await session.until("Settings from Ctrl+,", `return location.hash === "#/settings"`);
xdo("key", "ctrl+2");
await session.until("Summarize from Ctrl+2", `return location.hash === "#/summarize"`);
console.log("the menu's shortcuts open Settings and Summarize");

// File > Open Document… (Ctrl+O): GTK's open dialog; the chosen file lands on Summarize.
const trip = join(home, "trip.md");
writeFileSync(trip, "# Trip\n\nThe train leaves at nine. Bring the tent and the stove.\n");
xdo("key", "ctrl+o");
await chooseInDialog(trip);
const opened = await session.until(
  "the opened document on Summarize",
  `const text = document.querySelector(".drop p")?.textContent ?? ""; return text.includes("trip.md") && text;`,
);
console.log(`Open Document… chose ${opened.trim()}`);

// The page's own button opens the same dialog through the pick_documents command.
await session.click('button[aria-label="Document to summarize"]');
await chooseInDialog(notes);
await session.until("the picked document on Summarize", `return document.querySelector(".drop p")?.textContent.includes("notes.md");`);
console.log("the page's Choose a file button opened the native dialog");
// Hearth reads the chosen file from its path and the summary streams back over IPC.
await session.click('form.job button[type="submit"]');
const summary = await session.until(
  "the summary of the chosen file",
  `return document.querySelector('article[aria-label="Summary"]')?.textContent.trim();`,
);
assert.ok(summary.length > 0);
console.log(`summarized notes.md: ${JSON.stringify(summary.slice(0, 80))}`);
console.log(`screenshot: ${await session.screenshot("4-summarize-document-chosen")}`);

// Drag and drop: a file dragged from another application onto the window lands on the
// page, as the open dialog's does.
const rect = await wd("GET", `/session/${session.id}/window/rect`);
const report = join(home, "report.md");
writeFileSync(report, "# Quarterly report\n\nSales rose by a tenth. The new shop opened in May.\n");
let drag = await dragFile(report, rect);
await session.until("the dropped document on Summarize", `return document.querySelector(".drop p")?.textContent.includes("report.md");`);
console.log("a file dropped on the window went to Summarize");

// A notification when a summary ends while the window is not in front — and none while
// it is (the page shows the result itself).
focusWindow("Hearth");
const summarizeAgain = `document.querySelector('form.job button[type="submit"]').click(); return true;`;
const previous = await session.run(`return document.querySelector('article[aria-label="Summary"]')?.textContent`);
await session.run(summarizeAgain);
await session.until("the summary of the dropped file", `
  const article = document.querySelector('article[aria-label="Summary"]');
  const busy = document.querySelector('progress[aria-label="Summary progress"]');
  return article && !busy && article.textContent !== arguments[0] && article.textContent.trim();`, previous);
await sleep(500);
assert.ok(!notifications.includes("report.md is summarized"), `no notification while the window is in front, saw ${notifications}`);
xdo("windowfocus", "--sync", drag.id);
await session.run(summarizeAgain);
for (let i = 0; i < 1200 && !notifications.includes("report.md is summarized"); i++) await sleep(100);
assert.ok(notifications.includes("Summary ready") && notifications.includes("report.md is summarized"),
  `the notification service should have been asked to show the summary, saw ${JSON.stringify(notifications)}`);
console.log("a summary that ended behind another window was announced by a desktop notification");
drag.close();

// Dropped on the chat, the file is attached to the next message.
await session.run(`location.hash = "#/chat"; return true;`);
await session.until("the chat page", `return location.hash === "#/chat" && document.querySelector("#composer") !== null`);
drag = await dragFile(report, rect);
const attached = await session.until("the dropped document attached to the chat", `return document.querySelector('.attachments')?.textContent;`);
assert.ok(attached.includes("report.md"), attached);
drag.close();
console.log(`a file dropped on the chat was attached: ${attached.trim()}`);
console.log(`screenshot: ${await session.screenshot("5-dropped-on-chat")}`);

// Settings > Download a backup: the web view would drop a download link, so the app
// opens GTK's save dialog; the file is written where the user says, and the page says so.
await session.run(`location.hash = "#/settings"; return true;`);
await session.until("the Backup section", `return document.querySelector('fieldset[aria-label="Backup"]') !== null`);
const backupPath = join(home, "my-backup.json");
await session.run(`[...document.querySelectorAll('fieldset[aria-label="Backup"] button')].find((b) => b.textContent.includes("Download a backup")).click(); return true;`);
focusWindow("Save a copy");
await sleep(300);
xdo("key", "ctrl+a");
xdo("type", "--delay", "10", backupPath);
await sleep(200);
xdo("key", "Return");
const savedSaid = await session.until("the backup saved", `return document.querySelector('fieldset[aria-label="Backup"] [role="status"]')?.textContent;`);
assert.equal(savedSaid, `Backup saved to ${backupPath}.`);
const backup = JSON.parse(readFileSync(backupPath, "utf8"));
assert.equal(backup.format, "hearth-history");
assert.ok(backup.conversations.some((c) => c.messages.some((m) => m.content === answer)), "the backup holds the chat answered above");
console.log(`Download a backup saved ${backup.conversations.length} conversation(s) to ${backupPath} through GTK's save dialog`);
console.log(`screenshot: ${await session.screenshot("6-backup-saved")}`);
await session.close();

console.log("desktop end-to-end: all checks passed");
process.exit(0);

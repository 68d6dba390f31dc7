// What every browser script shares about the `hearth` it drives (run.mjs, pages.mjs,
// lighthouse.mjs, long-history.mjs): where the build and the test files are, a check
// that says what is missing and how to get it, and starting `hearth serve` on a port of
// its own and waiting for the line it prints once it listens.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ui = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const root = resolve(ui, "..");
export const hearthBin = join(root, "target/release/hearth");
export const smollm2 = join(root, ".models/SmolLM2-135M-Instruct.Q4_1.gguf");
export const minilm = join(root, ".models/all-MiniLM-L6-v2");

/** Whether every `[path, how to get it]` is there; prints each that is not. */
export function filesPresent(needed) {
  let present = true;
  for (const [path, how] of needed) {
    if (!existsSync(path)) {
      console.error(`missing ${path}: ${how}`);
      present = false;
    }
  }
  return present;
}

/** Starts `hearth --json serve` on a free port with `env` (its HEARTH_HOME), serving the
 * UI in `uiDir`; resolves with the process and what it printed (url, token_file,
 * login_url) once it listens. */
export async function serveHearth(env, uiDir, ...flags) {
  const child = spawn(hearthBin, ["--json", "serve", "--port", "0", ...flags, "--ui", uiDir], { env, stdio: ["ignore", "pipe", "inherit"] });
  const started = await new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).once("line", (line) => ok(JSON.parse(line)));
    child.once("exit", (code) => fail(new Error(`hearth serve exited with ${code} before listening`)));
  });
  return { child, started };
}

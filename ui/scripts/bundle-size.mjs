// The JavaScript a first visit downloads, gzipped: the scripts and module preloads that
// ui/dist/index.html names (chunks imported later, on demand, do not count), each
// compressed with gzip level 9. Prints each file and the total, and fails when the total
// is over the budget below: raise it only on purpose, saying why in the commit.
//
//   npm --prefix ui run build && node ui/scripts/bundle-size.mjs
//   (or `npm run bundle-size` in ui/)

/** Bytes of gzipped JavaScript a first load may download: 147.3 KB measured (December
 * 2026, one bundle) plus a quarter, rounded. */
const BUDGET = 185 * 1024;

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");
const index = join(dist, "index.html");
if (!existsSync(index)) {
  console.error(`missing ${index}: build the UI with \`npm --prefix ui run build\``);
  process.exit(1);
}
const html = readFileSync(index, "utf8");
const tags = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"|<link\b(?=[^>]*\brel="modulepreload")[^>]*\bhref="([^"]+)"/g)];
const files = [...new Set(tags.map((m) => m[1] ?? m[2]))].filter((src) => src.endsWith(".js"));
if (files.length === 0) {
  console.error(`${index} loads no script`);
  process.exit(1);
}
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
let total = 0;
for (const file of files) {
  const code = readFileSync(join(dist, file.replace(/^\//, "")));
  const gzipped = gzipSync(code, { level: 9 }).length;
  total += gzipped;
  console.log(`${kb(gzipped).padStart(10)} gzipped  (${kb(code.length)})  ${file}`);
}
console.log(`${kb(total).padStart(10)} gzipped in all; budget ${kb(BUDGET)}`);
if (total > BUDGET) {
  console.error(`over budget by ${kb(total - BUDGET)}: load the rest lazily (import()) or raise BUDGET in ${fileURLToPath(import.meta.url)} on purpose`);
  process.exit(1);
}

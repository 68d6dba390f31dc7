// Accessibility check of a Playwright page with axe-core: `checkAccessibility(page,
// label)` runs every axe rule on the page as it is now and throws when one finds a
// violation of "serious" or "critical" impact, naming the rule, its impact, what it
// asks for and the elements that break it. With HEARTH_AXE_REPORT_ONLY=1 it prints them
// and returns them instead. Used by run.mjs and pages.mjs (not run on its own).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// The page's Content-Security-Policy blocks inline <script>, so axe's source is
// evaluated through the DevTools protocol instead.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const reportOnly = process.env.HEARTH_AXE_REPORT_ONLY === "1";

/** The serious and critical violations on `page`, one line each per element; throws
 * with them (unless HEARTH_AXE_REPORT_ONLY=1) when there are any. */
export async function checkAccessibility(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ["violations"] });
    return results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => `${n.target.join(" ")}${n.any[0] ? `: ${n.any[0].message}` : ""}`) }));
  });
  if (violations.length === 0) return [];
  const lines = violations.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n${v.targets.map((t) => `      ${t}`).join("\n")}`);
  const message = `axe: ${violations.length} serious or critical rule${violations.length === 1 ? "" : "s"} broken on ${label}:\n${lines.join("\n")}`;
  if (!reportOnly) throw new Error(message);
  console.log(message);
  return violations;
}

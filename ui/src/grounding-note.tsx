// What an answer states that its passages do not have: the grounding check's flagged
// sentences, each with its reasons, under the answer (the Documents page and a chat
// attached to a collection). Nothing is shown when every checked fact was found.

import type { GroundingReport } from "./api";

export function GroundingNote({ report }: { report?: GroundingReport | null }) {
  const flagged = report?.sentences.filter((s) => s.support === "not_found" || s.support === "contradicted") ?? [];
  if (!report || flagged.length === 0) return null;
  return (
    <div class="grounding warning" role="note" aria-label="Not found in the passages">
      ⚠ {report.summary}:
      <ul class="not-found">
        {flagged.map((s, i) => (
          <li key={i}>
            “{s.text}” — {s.findings.map((f) => f.reason).join("; ")}
          </li>
        ))}
      </ul>
    </div>
  );
}

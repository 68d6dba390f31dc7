// A table of results: a workflow run's (one row per item, one column per step, and the
// error) or generated records. Long cells are clipped with a button to see them whole;
// JSON values (extract and generate steps) are shown as JSON.

import { useState } from "preact/hooks";
import { cellText, clip } from "./workflow-table";

/** Rows of values under their columns; `running` marks the cell being worked on. */
export function ResultsTable({ columns, rows, running }: { columns: string[]; rows: Record<string, unknown>[]; running?: { row: number; column: string } | null }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Results">
      <table class="results-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i} data-item={cellText(row.item)}>
              {columns.map((c) =>
                running && running.row === i && running.column === c && row[c] == null ? (
                  <td key={c} class="running" data-column={c}>
                    working…
                  </td>
                ) : (
                  <Cell key={c} column={c} text={cellText(row[c])} />
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A cell clipped to 200 characters, with a button to see it whole. */
function Cell({ column, text }: { column: string; text: string }) {
  const [whole, setWhole] = useState(false);
  const clipped = clip(text);
  return (
    <td data-column={column} class={column === "error" && text ? "error-cell" : undefined}>
      {whole || !clipped.clipped ? text : clipped.text}
      {clipped.clipped && (
        <button type="button" class="ghost more" aria-expanded={whole} onClick={() => setWhole(!whole)}>
          {whole ? "Show less" : "Show all"}
        </button>
      )}
    </td>
  );
}

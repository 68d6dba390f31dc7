// The summary styles a user can pick, in one place for every page that offers them
// (Summarize, and a workflow's summarize step).

export const SUMMARY_STYLES: [string, string][] = [
  ["paragraph", "One paragraph"],
  ["bullets", "Bullet points"],
  ["detailed", "Detailed"],
  ["tldr", "TL;DR"],
  ["key_points", "Key points with quotes"],
];

export function SummaryStyleOptions() {
  return (
    <>
      {SUMMARY_STYLES.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}

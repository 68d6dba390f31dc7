import { describe, expect, it } from "vitest";
import { h } from "preact";
import { GroundingNote } from "./grounding-note";
import { mount } from "./test-mount";
import type { GroundingReport } from "./api";

const report = (flagged: boolean): GroundingReport => ({
  sentences: [
    { start: 0, end: 20, text: "Bake it at 230 °C.", support: "supported", findings: [] },
    {
      start: 21,
      end: 50,
      text: "Knead it for 25 minutes.",
      support: flagged ? "not_found" : "supported",
      findings: flagged ? [{ kind: "number", text: "25", reason: "the passages have no 25" }] : [],
    },
  ],
  checked: 2,
  not_found: flagged ? 1 : 0,
  summary: `${flagged ? 1 : 0} of 2 sentences not found in the passages`,
});

describe("GroundingNote", () => {
  it("lists each flagged sentence with what the passages lack", () => {
    const page = mount(h(GroundingNote, { report: report(true) }));
    const note = page.querySelector('[aria-label="Not found in the passages"]')!;
    expect(note.textContent).toContain("⚠ 1 of 2 sentences not found in the passages:");
    expect([...note.querySelectorAll("li")].map((li) => li.textContent)).toEqual(["“Knead it for 25 minutes.” — the passages have no 25"]);
  });

  it("shows nothing when everything checked was found, or nothing was checked", () => {
    expect(mount(h(GroundingNote, { report: report(false) })).innerHTML).toBe("");
    expect(mount(h(GroundingNote, { report: null })).innerHTML).toBe("");
  });
});

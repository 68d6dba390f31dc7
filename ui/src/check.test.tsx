// The Check page in jsdom against a stand-in API: thorough mode follows the settings,
// the judge chosen goes with the request, and a thorough report shows each sentence's
// mark (a contradiction apart from "not found"), the judge's reason, the layers that
// ran, a layer's warning, and the closest source sentences with their similarity.

import { describe, expect, it } from "vitest";
import { h } from "preact";
import { act } from "preact/test-utils";
import { mount, settle, submit, typeInto } from "./test-mount";
import type { Api, GroundingReport } from "./api";
import { ApiContext } from "./shell";
import { CheckPage } from "./check";
import { deliverDocuments } from "./document-input";

const REPORT: GroundingReport = {
  sentences: [
    {
      start: 0,
      end: 26,
      text: "The bridge opened in 1937.",
      support: "supported",
      findings: [],
      decided_by: "judge",
      similarity: 0.71,
      evidence: ["The Golden Gate Bridge opened in 1937 after four years of construction."],
    },
    {
      start: 27,
      end: 60,
      text: "The bridge is not painted orange.",
      support: "contradicted",
      findings: [{ kind: "contradiction", text: "The bridge is not painted orange.", reason: "the document says otherwise (the judge: It is International Orange.)" }],
      decided_by: "judge",
      similarity: 0.74,
      evidence: ["The bridge is painted in a colour called International Orange."],
    },
  ],
  checked: 2,
  not_found: 1,
  contradicted: 1,
  summary: "1 of 2 sentences not found in the document (1 contradicted)",
  layers: ["facts", "similarity", "judge"],
  judge: "cloud:m",
  warnings: ["the judge's answer for 1 sentence was not the JSON asked for"],
};

function stand_in(grounding: "fast" | "thorough") {
  const sent: unknown[] = [];
  const api = {
    settings: async () => ({ grounding }),
    models: async () => [],
    providers: async () => ({ providers: [{ name: "cloud", models: ["m"] }], offline: false }),
    check: async (text: string, sources: unknown, options: unknown) => {
      sent.push({ text, sources, options });
      return REPORT;
    },
  } as unknown as Api;
  return { api, sent };
}

async function check(grounding: "fast" | "thorough", judge?: string) {
  const { api, sent } = stand_in(grounding);
  const page = mount(h(ApiContext.Provider, { value: api }, h(CheckPage, {})));
  await settle();
  act(() => deliverDocuments([{ name: "bridge.md", handle: "/docs/bridge.md" }]));
  await typeInto(page.querySelector<HTMLTextAreaElement>("#check-text")!, "The bridge opened in 1937. The bridge is not painted orange.");
  if (judge) {
    const select = page.querySelector<HTMLSelectElement>('select[aria-label="Judge model"]')!;
    await act(async () => {
      select.value = judge;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
  await submit(page, "form.job");
  await settle();
  return { page, sent };
}

describe("the Check page's thorough mode", () => {
  it("sends the judge chosen and shows the judge's marks, reasons, layers and evidence", async () => {
    const { page, sent } = await check("thorough", "cloud:m");
    expect(sent).toEqual([
      {
        text: "The bridge opened in 1937. The bridge is not painted orange.",
        sources: [{ name: "bridge.md", path: "/docs/bridge.md" }],
        options: { mode: "thorough", judge: "cloud:m" },
      },
    ]);
    const result = page.querySelector('[aria-label="Check result"]')!;
    expect(result.querySelector('[role="status"]')!.textContent).toBe("⚠ 1 of 2 sentences not found in the document (1 contradicted)");
    expect(result.querySelector(".hint")!.textContent).toBe("checked by facts, similarity, the judge (judge: cloud:m)");
    expect(result.querySelector('[role="alert"]')!.textContent).toContain("not the JSON asked for");
    const contradicted = result.querySelector('li[data-grounding="contradicted"]')!;
    expect(contradicted.querySelector(".mark")!.getAttribute("aria-label")).toBe("The documents say otherwise");
    expect(contradicted.querySelector(".not-found")!.textContent).toContain("It is International Orange.");
    expect(contradicted.querySelector("details summary")!.textContent).toBe("Closest in the documents (similarity 0.74)");
    expect(contradicted.querySelector("details li")!.textContent).toBe("The bridge is painted in a colour called International Orange.");
  });

  it("is off unless the settings say thorough, and then asks for the fast check", async () => {
    const { page, sent } = await check("fast");
    expect(page.querySelector('select[aria-label="Judge model"]')).toBeNull();
    expect((sent[0] as { options: unknown }).options).toEqual({ mode: "fast" });
  });
});

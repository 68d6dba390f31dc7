// The Summarize page shows the grounding check: a point whose facts the document lacks
// is marked with the reasons, and the header counts them; a clean summary says so. The
// page runs on a fake API that answers with a summary as the server sends it.

import { describe, expect, it } from "vitest";
import { h } from "preact";
import { act } from "preact/test-utils";
import { ApiContext } from "./shell";
import { SummarizePage } from "./summarize";
import { mount, submit, typeInto } from "./test-mount";
import type { Api, Summary } from "./api";

const part = { part: 0, section: ["Trip"], first_page: null, last_page: null };

function summary(flagged: boolean): Summary {
  return {
    style: "bullets",
    text: "",
    parts: [part],
    levels: 1,
    steps: 1,
    warnings: [],
    points: [
      { text: "Pack the tent and two maps.", parts: [0], quote: null, paragraph: 0 },
      {
        text: "The trip to Rome costs 400 euros.",
        parts: [0],
        quote: null,
        paragraph: 0,
        unsupported: flagged
          ? [
              { kind: "name", text: "Rome", reason: "the document never mentions Rome" },
              { kind: "number", text: "400", reason: "the document has no 400" },
            ]
          : [],
      },
    ],
    grounding: { checked: 2, not_found: flagged ? 1 : 0, summary: `${flagged ? 1 : 0} of 2 points not found in the document`, millis: 1 },
  };
}

async function summarize(result: Summary) {
  const api = {
    summarize: async (_body: unknown, onEvent: (e: { event: string; data: unknown }) => void) => {
      onEvent({ event: "done", data: { summary: result } });
    },
  } as unknown as Api;
  const page = mount(h(ApiContext.Provider, { value: api }, h(SummarizePage, {})));
  await typeInto(page.querySelector<HTMLTextAreaElement>("#summary-text")!, "# Trip\n\nPack the tent and two maps.");
  await submit(page, "form.job");
  await act(async () => {});
  return page;
}

describe("the Summarize page's grounding check", () => {
  it("marks a point whose facts the document lacks, with the reasons, and counts it", async () => {
    const page = await summarize(summary(true));
    const flagged = [...page.querySelectorAll('.points li[data-grounding="not-found"]')];
    expect(flagged).toHaveLength(1);
    expect(flagged[0].textContent).toContain("The trip to Rome costs 400 euros.");
    expect(flagged[0].querySelector(".not-found")!.textContent).toBe("⚠ The document never mentions Rome; the document has no 400.");
    expect(page.querySelector('[aria-label="Checked against the document"]')!.textContent).toBe("⚠ 1 of 2 points not found in the document");
  });

  it("says so when every fact was found", async () => {
    const page = await summarize(summary(false));
    expect(page.querySelectorAll('.points li[data-grounding="not-found"]')).toHaveLength(0);
    expect(page.querySelector('[aria-label="Checked against the document"]')!.textContent).toBe("✓ every number, date, name and quote found in the document");
  });
});

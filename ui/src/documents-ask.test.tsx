// The Documents page's questions in jsdom against a stand-in API: while a thorough check
// reads the written answer (the `checking` event), the page says so and keeps the Stop
// button; when `done` brings the report, the notice goes and the flagged sentence shows.

import { describe, expect, it } from "vitest";
import { h } from "preact";
import { act } from "preact/test-utils";
import { mount, settle, submit, typeInto } from "./test-mount";
import type { Api } from "./api";
import { ApiContext } from "./shell";
import { AskPanel } from "./documents";

type Send = (e: { event: string; data: unknown }) => void;

describe("asking documents with the thorough check", () => {
  it("says the answer is being checked until the report arrives", async () => {
    let send: Send = () => {};
    let finish: () => void = () => {};
    const api = {
      ask: (_body: unknown, onEvent: Send) =>
        new Promise<void>((resolve) => {
          send = onEvent;
          finish = resolve;
        }),
    } as unknown as Api;
    const page = mount(h(ApiContext.Provider, { value: api }, h(AskPanel, { collection: "Kitchen" })));
    await typeInto(page.querySelector<HTMLInputElement>("#ask-question")!, "How hot is the oven?");
    await submit(page, "form.composer");
    const answer = "Bake it at 250 degrees [1].";
    await act(async () => {
      send({ event: "started", data: { query: "How hot is the oven?", sources: [{ id: 1, number: 1, label: "bread.md", path: "/n/bread.md", text: "Bake at 230 degrees." }] } });
      send({ event: "delta", data: { text: answer } });
      send({ event: "checking", data: { mode: "thorough" } });
    });
    const notice = () => page.querySelector('.exchanges [role="status"]');
    expect(notice()!.textContent).toContain("Checking the answer against its passages");
    expect(page.querySelector("form.composer button")!.textContent).toContain("Stop");

    await act(async () => {
      send({
        event: "done",
        data: {
          completion: { text: answer },
          cited: [1],
          matched: [],
          grounding: {
            sentences: [
              {
                start: 0,
                end: answer.length,
                text: answer,
                support: "contradicted",
                findings: [{ kind: "contradiction", text: answer, reason: "the passages say otherwise (the judge: They say 230 degrees.)" }],
                decided_by: "judge",
              },
            ],
            checked: 1,
            not_found: 1,
            contradicted: 1,
            summary: "1 of 1 sentence not found in the passages (1 contradicted)",
            layers: ["facts", "similarity", "judge"],
          },
        },
      });
      finish();
    });
    await settle();
    expect(notice()).toBeNull();
    const note = page.querySelector('[aria-label="Not found in the passages"]')!;
    expect(note.textContent).toContain("They say 230 degrees.");
  });
});

// The Translate page says when the model did not translate: each such unit is marked
// with the reason, the header counts them, and the advice names the model to use; when
// that model is on this computer, one click translates again with it. The page runs on a
// fake API that answers with translations as the server sends them.

import { describe, expect, it } from "vitest";
import { h } from "preact";
import { act } from "preact/test-utils";
import { ApiContext } from "./shell";
import { TranslatePage, notTranslated } from "./translate";
import { mount, submit, typeInto } from "./test-mount";
import type { Api, Translation, TranslationAdvice } from "./api";

const english = { code: "en", name: "English" };
const german = { code: "de", name: "German" };

function translation(untranslated: boolean, advice?: TranslationAdvice): Translation {
  return {
    from: english,
    to: german,
    detected: null,
    text: "",
    glossary_misses: [],
    warnings: [],
    units: [
      { kind: "heading", source: "Trip", target: "Reise" },
      untranslated
        ? {
            kind: "paragraph",
            source: "Pack the tent and two maps before you leave.",
            target: "Pack the tent and two maps before you leave.",
            not_translated: { kind: "wrong_language", language: english },
          }
        : { kind: "paragraph", source: "Pack the tent and two maps before you leave.", target: "Packen Sie das Zelt und zwei Karten ein." },
    ],
    not_translated: untranslated ? 1 : 0,
    advice,
  };
}

async function translatePage(answers: Translation[]) {
  const requests: { model?: string }[] = [];
  const api = {
    translate: async (body: { model?: string }, onEvent: (e: { event: string; data: unknown }) => void) => {
      requests.push(body);
      onEvent({ event: "done", data: { translation: answers[requests.length - 1] } });
    },
  } as unknown as Api;
  const page = mount(h(ApiContext.Provider, { value: api }, h(TranslatePage, {})));
  await typeInto(page.querySelector<HTMLTextAreaElement>("#translate-text")!, "# Trip\n\nPack the tent and two maps before you leave.");
  await submit(page, "form.job");
  await act(async () => {});
  return { page, requests };
}

describe("the Translate page when the model did not translate", () => {
  it("marks the unit, counts it, and translates again with the installed model the advice names", async () => {
    const advice = {
      message: "SmolLM2 135M Instruct was trained on English text and does not translate into German. Translate with a multilingual model: Qwen2.5 1.5B Instruct is on this computer.",
      model: "qwen2.5-1.5b-instruct-q4_k_m",
      model_name: "Qwen2.5 1.5B Instruct",
    };
    const { page, requests } = await translatePage([translation(true, advice), translation(false)]);
    const marked = [...page.querySelectorAll(".side-by-side tr.untranslated")];
    expect(marked).toHaveLength(1);
    expect(marked[0].querySelector(".not-translated")!.textContent).toBe("⚠ Not translated: the model answered in English.");
    expect(page.querySelector("header [role=status]")!.textContent).toBe("⚠ 1 of 2 not translated");
    expect(page.querySelector(".advice p")!.textContent).toBe(advice.message);
    const again = page.querySelector<HTMLButtonElement>(".advice button")!;
    expect(again.textContent).toBe("Translate again with Qwen2.5 1.5B Instruct");
    await act(async () => again.click());
    await act(async () => {});
    expect(requests.map((r) => r.model)).toEqual([undefined, "qwen2.5-1.5b-instruct-q4_k_m"]);
    expect(page.querySelectorAll(".side-by-side tr.untranslated")).toHaveLength(0);
    expect(page.querySelector(".advice")).toBeNull();
  });

  it("points to the Models page when the model to use must be downloaded", async () => {
    const { page } = await translatePage([
      translation(true, { message: "Download a multilingual model.", model_name: "Qwen2.5 1.5B Instruct", pull: "qwen2.5-1.5b" }),
    ]);
    const link = page.querySelector<HTMLAnchorElement>(".advice a")!;
    expect(link.getAttribute("href")).toBe("#/models");
    expect(link.textContent).toBe("Get Qwen2.5 1.5B Instruct on the Models page");
  });

  it("shows no mark or advice when every unit is translated", async () => {
    const { page } = await translatePage([translation(false)]);
    expect(page.querySelectorAll(".side-by-side tr.untranslated, .advice")).toHaveLength(0);
    expect(page.querySelector("header [role=status]")).toBeNull();
  });
});

describe("why a unit is not a translation", () => {
  it("is said in words for every reason the server gives", () => {
    const german = { code: "de", name: "German" };
    expect(notTranslated({ kind: "untrained", language: german }, "English")).toBe("is not trained to write German");
    expect(notTranslated({ kind: "copied" }, "English")).toBe("copied the English text");
    expect(notTranslated({ kind: "incomplete" }, "English")).toBe("left out most of the text");
    expect(notTranslated({ kind: "repeating" }, "English")).toBe("repeated itself instead of translating");
    expect(notTranslated({ kind: "facts_lost" }, "English")).toBe("wrote something without the text’s names, numbers and code");
    expect(notTranslated({ kind: "empty" }, "English")).toBe("wrote nothing");
  });
});

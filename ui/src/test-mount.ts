// Mounting components in jsdom for the unit tests: one host element at a time, emptied
// and removed after each test, and a way to let pending promises and Preact's updates
// run before looking at the page.

import { afterEach } from "vitest";
import { render, type ComponentChild } from "preact";
import { act } from "preact/test-utils";

let host: HTMLElement | undefined;

/** Empties the mounted page (the next `mount` starts afresh). */
export function unmount() {
  if (host) render(null, host);
}

afterEach(() => {
  unmount();
  host?.remove();
  host = undefined;
});

/** Renders `node` into a new element in the document and returns that element. */
export function mount(node: ComponentChild): HTMLElement {
  host?.remove();
  host = document.createElement("div");
  document.body.append(host);
  act(() => render(node, host!));
  return host;
}

/** Lets pending promises and Preact's updates run, `rounds` times. */
export async function settle(rounds = 8) {
  for (let i = 0; i < rounds; i++) await act(async () => {});
}

/** Types `value` into a text field as a person would (the value, then an input event). */
export async function typeInto(field: HTMLInputElement | HTMLTextAreaElement, value: string) {
  await act(async () => {
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** Submits the form `selector` finds in `root`, as its submit button would. */
export async function submit(root: Element, selector: string) {
  await act(async () => {
    root.querySelector<HTMLFormElement>(selector)!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  });
}

/** Types `text` into the chat's composer and submits it, as the Enter key would. */
export function sendFromComposer(page: HTMLElement, text: string) {
  const composer = page.querySelector("#composer") as HTMLTextAreaElement;
  composer.value = text;
  act(() => {
    composer.dispatchEvent(new Event("input", { bubbles: true }));
  });
  act(() => {
    (page.querySelector("form.composer") as HTMLFormElement).dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  });
}

// Model output and document text are untrusted. Markdown is rendered with `marked`
// with raw HTML shown as the text it is (so the user sees exactly what the model wrote,
// and no markup from it is ever parsed) and images shown as their description (a remote
// image would be a request leaving the machine). Everything then passes DOMPurify (no
// scripts, no event handlers, no javascript: links, no forms or frames) as a second
// wall, and the page's Content-Security-Policy forbids inline script as a third. Links
// open outside the app. Code blocks are highlighted after sanitizing, from their text.

import DOMPurify from "dompurify";
import { Marked } from "marked";
import hljs from "highlight.js/lib/common";

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ text, href }) => escapeHtml(`[image: ${text || "no description"}${href ? ` — ${href}` : ""}]`),
  },
});

const purifier = DOMPurify();
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/** Sanitized HTML for Markdown text. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string;
  return purifier.sanitize(html, {
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"],
    FORBID_ATTR: ["style"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}

/** Highlights the code blocks inside an element rendered by `renderMarkdown`, and puts
 * a bar above each with its language and a copy button (`data-copy-code`; the page
 * listens for its clicks, see `copyCodeOnClick`). */
export function highlightCode(root: HTMLElement): void {
  root.querySelectorAll<HTMLElement>("pre code").forEach((block) => {
    if (block.dataset.highlighted) return;
    const named = /language-([\w-]+)/.exec(block.className)?.[1];
    const text = block.textContent ?? "";
    const result = named && hljs.getLanguage(named) ? hljs.highlight(text, { language: named }) : hljs.highlightAuto(text);
    // hljs escapes the text it wraps in spans; the result holds no markup of the input.
    block.innerHTML = result.value;
    block.classList.add("hljs");
    block.dataset.highlighted = "yes";
    const pre = block.parentElement;
    if (pre?.tagName === "PRE") addCodeBar(pre, named ?? result.language ?? "");
  });
  // Code and tables too wide for the column scroll sideways: each can take keyboard focus
  // so the arrow keys scroll it (WCAG 2.1.1; axe's scrollable-region-focusable).
  root.querySelectorAll<HTMLElement>("pre, table").forEach((wide) => {
    if (!wide.hasAttribute("tabindex")) wide.tabIndex = 0;
  });
}

/** Wraps `pre` in a block with a bar: the language (as written, or as detected) and Copy.
 * Built with DOM calls from our own strings; the language is set as text, never markup. */
function addCodeBar(pre: HTMLElement, language: string): void {
  const wrapper = document.createElement("div");
  wrapper.className = "code-block";
  const bar = document.createElement("div");
  bar.className = "code-head";
  const label = document.createElement("span");
  label.textContent = language || "text";
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "ghost small";
  copy.dataset.copyCode = "";
  copy.textContent = "Copy";
  copy.setAttribute("aria-label", `Copy ${language || "the"} code`);
  bar.append(label, copy);
  pre.replaceWith(wrapper);
  wrapper.append(bar, pre);
}

/** A click on a code block's Copy button (anywhere under `event`'s target): copies the
 * block's code and says so on the button for a moment. */
export async function copyCodeOnClick(event: MouseEvent): Promise<void> {
  const button = (event.target as Element | null)?.closest?.<HTMLButtonElement>("button[data-copy-code]");
  const code = button?.closest(".code-block")?.querySelector("pre code");
  if (!button || !code) return;
  try {
    await navigator.clipboard.writeText(code.textContent ?? "");
    button.textContent = "Copied";
  } catch {
    button.textContent = "Copy failed";
  }
  setTimeout(() => (button.textContent = "Copy"), 1500);
}

/** Escapes text for HTML, for snippets built by hand. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Search snippets come HTML-escaped with hits in <mark>; allow exactly that. */
export function sanitizeSnippet(snippet: string): string {
  return purifier.sanitize(snippet, { ALLOWED_TAGS: ["mark"], ALLOWED_ATTR: [] });
}

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

/** Highlights the code blocks inside an element rendered by `renderMarkdown`. */
export function highlightCode(root: HTMLElement): void {
  root.querySelectorAll<HTMLElement>("pre code").forEach((block) => {
    if (block.dataset.highlighted) return;
    const language = /language-([\w-]+)/.exec(block.className)?.[1];
    const text = block.textContent ?? "";
    const result =
      language && hljs.getLanguage(language) ? hljs.highlight(text, { language }) : hljs.highlightAuto(text);
    // hljs escapes the text it wraps in spans; the result holds no markup of the input.
    block.innerHTML = result.value;
    block.classList.add("hljs");
    block.dataset.highlighted = "yes";
  });
}

/** Escapes text for HTML, for snippets built by hand. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Search snippets come HTML-escaped with hits in <mark>; allow exactly that. */
export function sanitizeSnippet(snippet: string): string {
  return purifier.sanitize(snippet, { ALLOWED_TAGS: ["mark"], ALLOWED_ATTR: [] });
}

import { describe, expect, it } from "vitest";
import { copyCodeOnClick, highlightCode, renderMarkdown, sanitizeSnippet } from "./markdown";

const payloads = [
  "<script>window.__xss = 1</script>",
  '<img src=x onerror="window.__xss = 1">',
  "[click](javascript:window.__xss=1)",
  '<a href="javascript:window.__xss=1">x</a>',
  '<iframe src="data:text/html,<script>parent.__xss=1</script>"></iframe>',
  '<svg onload="window.__xss=1"><circle/></svg>',
  "<details open ontoggle=window.__xss=1>",
  '<form action="https://evil.example"><button>go</button></form>',
  "![x](x\" onerror=\"window.__xss=1)",
  '<div style="background:url(javascript:window.__xss=1)">x</div>',
];

describe("renderMarkdown", () => {
  it("renders the Markdown a model writes", () => {
    const html = renderMarkdown("# Title\n\n- **bold** item\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain('<code class="language-rust">');
    expect(html).toContain("<table>");
  });

  it.each(payloads)("strips script from %s", (payload) => {
    const html = renderMarkdown(`Here you go:\n\n${payload}\n\nend`);
    const host = document.createElement("div");
    host.innerHTML = html;
    expect(host.querySelector("script,iframe,svg,form,button,object,embed")).toBeNull();
    for (const element of Array.from(host.querySelectorAll("*"))) {
      for (const attribute of Array.from(element.attributes)) {
        expect(attribute.name.startsWith("on")).toBe(false);
        expect(attribute.value.toLowerCase()).not.toContain("javascript:");
      }
    }
    expect((window as unknown as { __xss?: number }).__xss).toBeUndefined();
  });

  it("shows raw HTML as the text the model wrote", () => {
    const host = document.createElement("div");
    host.innerHTML = renderMarkdown('Try <b>this</b>:\n\n<img src=x onerror="alert(1)">');
    expect(host.querySelector("b,img")).toBeNull();
    expect(host.textContent).toContain("<b>this</b>");
    expect(host.textContent).toContain('<img src=x onerror="alert(1)">');
  });

  it("never loads an image from the model's Markdown", () => {
    const host = document.createElement("div");
    host.innerHTML = renderMarkdown("![tracking pixel](https://evil.example/p.png)");
    expect(host.querySelector("img")).toBeNull();
    expect(host.textContent).toContain("[image: tracking pixel — https://evil.example/p.png]");
  });

  it("opens links outside the app", () => {
    const host = document.createElement("div");
    host.innerHTML = renderMarkdown("[Hearth](https://example.org)");
    const link = host.querySelector("a")!;
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toContain("noopener");
  });

  it("highlights code without trusting its text", () => {
    const host = document.createElement("div");
    host.innerHTML = renderMarkdown("```html\n<img src=x onerror=alert(1)>\n```");
    highlightCode(host);
    expect(host.querySelector("img")).toBeNull();
    expect(host.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(host.querySelector("code")!.classList.contains("hljs")).toBe(true);
  });

  it("puts the language and a copy button above each code block, the language as text", async () => {
    const host = document.createElement("div");
    host.innerHTML = renderMarkdown("```rust\nfn main() {}\n```\n\n```\nplain words here\n```\n\n```<b>x</b>\ny\n```");
    highlightCode(host);
    const bars = Array.from(host.querySelectorAll(".code-block > .code-head"));
    expect(bars).toHaveLength(3);
    expect(bars[0].querySelector("span")!.textContent).toBe("rust");
    // A hostile info string never becomes markup.
    expect(host.querySelector("b")).toBeNull();
    // Highlighting twice (a re-render) adds no second bar.
    highlightCode(host);
    expect(host.querySelectorAll(".code-head")).toHaveLength(3);

    let copied = "";
    Object.defineProperty(navigator, "clipboard", { value: { writeText: async (t: string) => void (copied = t) }, configurable: true });
    const button = bars[0].querySelector("button[data-copy-code]") as HTMLButtonElement;
    expect(button.getAttribute("aria-label")).toBe("Copy rust code");
    await copyCodeOnClick({ target: button } as unknown as MouseEvent);
    expect(copied).toBe("fn main() {}\n");
    expect(button.textContent).toBe("Copied");
  });
});

describe("sanitizeSnippet", () => {
  it("keeps <mark> and nothing else", () => {
    const clean = sanitizeSnippet('…the <mark>capital</mark> of <img src=x onerror=alert(1)> France');
    expect(clean).toContain("<mark>capital</mark>");
    expect(clean).not.toContain("<img");
  });
});

import { useEffect, useMemo, useRef } from "preact/hooks";
import { Copy } from "lucide-preact";
import { copyCodeOnClick, highlightCode, renderMarkdown } from "./markdown";

/** Untrusted Markdown (model output, document text), sanitized, with code highlighted. */
export function MarkdownView({ text, class: className }: { text: string; class?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  // Parsed once per text: a long conversation re-renders every shown message whenever
  // earlier ones are revealed or an answer streams.
  const html = useMemo(() => renderMarkdown(text), [text]);
  useEffect(() => {
    if (ref.current) highlightCode(ref.current);
  }, [text]);
  // The code blocks' Copy buttons are added after rendering (see highlightCode); their
  // clicks bubble here.
  return <div ref={ref} class={`markdown ${className ?? ""}`} onClick={copyCodeOnClick} dangerouslySetInnerHTML={{ __html: html }} />;
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  return (
    <button
      type="button"
      class="ghost small"
      aria-label={label}
      title={label}
      onClick={async (event) => {
        const button = event.currentTarget as HTMLButtonElement;
        const said = button.querySelector(".said")!;
        try {
          await navigator.clipboard.writeText(text);
          said.textContent = "Copied";
        } catch {
          said.textContent = "Copy failed";
        }
        setTimeout(() => (said.textContent = "Copy"), 1500);
      }}
    >
      <Copy size={14} aria-hidden="true" />
      <span class="said" aria-live="polite">
        Copy
      </span>
    </button>
  );
}

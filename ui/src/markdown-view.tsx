import { useEffect, useRef } from "preact/hooks";
import { highlightCode, renderMarkdown } from "./markdown";

/** Untrusted Markdown (model output, document text), sanitized, with code highlighted. */
export function MarkdownView({ text, class: className }: { text: string; class?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current) highlightCode(ref.current);
  }, [text]);
  return <div ref={ref} class={`markdown ${className ?? ""}`} dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />;
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  return (
    <button
      type="button"
      class="ghost"
      aria-label={label}
      onClick={async (event) => {
        const button = event.currentTarget as HTMLButtonElement;
        try {
          await navigator.clipboard.writeText(text);
          button.textContent = "Copied";
        } catch {
          button.textContent = "Copy failed";
        }
        setTimeout(() => (button.textContent = label), 1500);
      }}
    >
      {label}
    </button>
  );
}

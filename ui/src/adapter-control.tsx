// The chat's LoRA adapter control: the attached adapter with Detach, or a file (a path in
// the browser, the desktop app's file dialog) and a scale to attach.

import { useState } from "preact/hooks";
import { adapterLabel, parseAdapterScale } from "./adapter";
import { native } from "./desktop";

/** The conversation's LoRA adapter: the attached one with Detach, or a path and scale to
 * attach (the server loads the model with it at once, so a file that does not fit the
 * model is refused with its reason, shown in the chat's error box). */
export function AdapterControl({ attached, onChange }: { attached: { path: string; scale: number } | null; onChange: (adapter: { path: string; scale: number } | null) => Promise<void> }) {
  const [path, setPath] = useState("");
  const [chosenName, setChosenName] = useState("");
  const [scale, setScale] = useState("1");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");
  const run = async (adapter: { path: string; scale: number } | null) => {
    setBusy(true);
    try {
      await onChange(adapter);
    } finally {
      setBusy(false);
    }
  };
  if (attached) {
    return (
      <span class="adapter attached" aria-label="LoRA adapter">
        Adapter{" "}
        <span class="chip" title={`${attached.path} at scale ${attached.scale}`}>
          {adapterLabel(attached)}
        </span>{" "}
        <button type="button" class="ghost" disabled={busy} onClick={() => run(null)}>
          Detach
        </button>
      </span>
    );
  }
  return (
    <form
      class="adapter"
      aria-label="LoRA adapter"
      onSubmit={(e) => {
        e.preventDefault();
        const parsed = parseAdapterScale(scale);
        if (parsed.error !== undefined) return setProblem(parsed.error[0].toUpperCase() + parsed.error.slice(1));
        setProblem("");
        if (path.trim()) run({ path: path.trim(), scale: parsed.scale });
      }}
    >
      {native ? (
        // The app opens only files chosen in its dialog; the handle stands for the path.
        <button
          type="button"
          class="ghost"
          title="A LoRA adapter (.gguf) made for this chat's model, on this computer"
          onClick={async () => {
            const file = await native!.pickGguf("Choose a LoRA adapter (.gguf)");
            if (file) {
              setPath(file.handle);
              setChosenName(file.name);
            }
          }}
        >
          {chosenName ? `Adapter: ${chosenName}` : "Choose adapter…"}
        </button>
      ) : (
        <label title="A LoRA adapter (.gguf) made for this chat's model, on this computer">
          Adapter{" "}
          <input value={path} size={16} placeholder="/path/to/adapter.gguf" aria-label="Adapter file" onInput={(e) => setPath((e.target as HTMLInputElement).value)} />
        </label>
      )}
      <label>
        Scale{" "}
        <input
          type="number"
          min={0}
          max={1}
          step="any"
          value={scale}
          aria-label="Adapter scale"
          aria-invalid={problem ? "true" : undefined}
          onInput={(e) => setScale((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={busy || !path.trim()}>
        {busy ? "Attaching…" : "Attach"}
      </button>
      {problem && (
        <span class="warning" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

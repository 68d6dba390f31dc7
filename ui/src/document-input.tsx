// Choosing a document, the same way on every page that takes one: in a browser the file
// input and drops on the page (the file's bytes travel to Hearth); in the desktop app
// the native open dialog, files dropped anywhere on the window, and files opened from the
// menu (only the app's handle for the file travels; Hearth reads the file itself).

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { DocumentSource } from "./api";
import { native, type LocalFile } from "./desktop";
import { fileSource } from "./files";

export type PickedDocument = File | LocalFile;

export const DOCUMENT_ACCEPT = ".pdf,.docx,.epub,.odt,.rtf,.pptx,.xlsx,.ods,.csv,.tsv,.eml,.mbox,.html,.htm,.md,.markdown,.txt";

export async function documentSource(document: PickedDocument): Promise<DocumentSource> {
  return document instanceof File ? fileSource(document) : { name: document.name, path: document.handle };
}

const ARRIVED = "hearth-documents";
let pending: LocalFile[] | null = null;

/** Hands documents (dropped on the window, opened from the menu) to the page that
 * takes them, now or when it mounts. */
export function deliverDocuments(files: LocalFile[]) {
  pending = files;
  window.dispatchEvent(new CustomEvent(ARRIVED));
}

/** Calls `handler` with documents delivered while this page is shown. */
export function useArrivingDocuments(handler: (files: LocalFile[]) => void) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const take = () => {
      if (!pending) return;
      const files = pending;
      pending = null;
      latest.current(files);
    };
    take();
    window.addEventListener(ARRIVED, take);
    return () => window.removeEventListener(ARRIVED, take);
  }, []);
}

/** A "choose a file" button: the native dialog in the desktop app, else a file input. */
export function ChooseDocument({ label, ariaLabel, onPick, className }: { label: ComponentChildren; ariaLabel: string; onPick: (document: PickedDocument | null) => void; className?: string }) {
  if (native) {
    const pick = async () => {
      const [file] = await native!.pickDocuments(false);
      if (file) onPick(file);
    };
    return (
      <button type="button" class={className} aria-label={ariaLabel} onClick={pick}>
        {label}
      </button>
    );
  }
  return (
    <label class={`button ${className ?? ""}`}>
      {label}
      <input type="file" accept={DOCUMENT_ACCEPT} class="visually-hidden" aria-label={ariaLabel} onChange={(e) => onPick((e.target as HTMLInputElement).files?.[0] ?? null)} />
    </label>
  );
}

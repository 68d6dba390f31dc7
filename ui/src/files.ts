// Files picked or dropped by the user, turned into what the document endpoints take.

import type { DocumentSource } from "./api";

export async function fileSource(file: File): Promise<DocumentSource> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { name: file.name, data_base64: toBase64(bytes) };
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(binary);
}

/** `term = translation` lines (also tab or comma separated); # starts a comment. */
export function parseGlossary(text: string): { entries: { term: string; translation: string }[]; errors: string[] } {
  const entries: { term: string; translation: string }[] = [];
  const errors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const separator = ["=", "\t", ","].find((s) => line.includes(s));
    const [term, ...rest] = separator ? line.split(separator) : [line];
    const translation = rest.join(separator ?? "").trim();
    if (!separator || !term.trim() || !translation) errors.push(`line ${i + 1}: write it as “term = translation”`);
    else entries.push({ term: term.trim(), translation });
  });
  return { entries, errors };
}

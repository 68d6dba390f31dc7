// Saving what the page made (an export, a backup, a summary) as a file: in a browser a
// download; in the desktop app, whose web view drops download links, the native save
// dialog, which also lets the user choose the folder.

import { native, type Native } from "./desktop";

/** Saves `text` as a file named `name`. Resolves to the path in the desktop app (null
 * when the user cancelled the dialog) and to null in a browser, which says itself where
 * downloads go. */
export async function saveText(name: string, text: string, type = "text/plain", desktop: Native | null = native): Promise<string | null> {
  if (desktop) return desktop.saveFile(name, text);
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return null;
}

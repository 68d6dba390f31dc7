// Inside the desktop app: the transport over Tauri IPC (the same /api requests, handled
// in process, streams through a Channel), and what only a desktop has — native open
// dialogs, files dropped on the window, the menu, notifications. In a browser none of
// this loads and `native` is null.
//
// The page never holds a path: each file or folder the user chose or dropped comes as
// an opaque handle (and its name to show), which requests send where the API takes a
// `path`; the app swaps it for the path and refuses any other string.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { HearthError, type Transport } from "./transport";
import type { SseEvent } from "./sse";

/** True inside the desktop app's web view. */
export function inDesktop(win: object = window): boolean {
  return "__TAURI_INTERNALS__" in win;
}

type Invoke = typeof invoke;

/** An error as the desktop commands reject: the app API's `{ code, message, details }`. */
export function toHearthError(error: unknown): Error {
  if (error && typeof error === "object" && "code" in error && "message" in error) {
    const e = error as { code: string; message: string; details?: { field?: string } };
    return new HearthError(e.code, e.message, e.details?.field);
  }
  return new HearthError("DESKTOP", String(error));
}

/** The last message of every stream, so the page knows no event is still on its way. */
const END = "__end__";

export class IpcTransport implements Transport {
  constructor(
    private call: Invoke = invoke,
    private newChannel: () => Channel<SseEvent> = () => new Channel<SseEvent>(),
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return (await this.call("api_request", { method, path, body: body ?? null })) as T;
    } catch (error) {
      throw toHearthError(error);
    }
  }

  async stream(path: string, body: unknown, onEvent: (event: SseEvent) => void, signal?: AbortSignal): Promise<void> {
    const stream = crypto.randomUUID();
    const channel = this.newChannel();
    let ended!: () => void;
    const allDelivered = new Promise<void>((resolve) => (ended = resolve));
    channel.onmessage = (event) => {
      if (event.event === END) ended();
      else if (!signal?.aborted) onEvent(event);
    };
    const abort = () => void this.call("api_cancel", { stream }).catch(() => {});
    signal?.addEventListener("abort", abort, { once: true });
    try {
      await this.call("api_stream", { stream, path, body: body ?? null, onEvent: channel });
      await allDelivered;
    } catch (error) {
      if (signal?.aborted) return;
      throw toHearthError(error);
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  }

  async text(path: string): Promise<string> {
    try {
      return (await this.call("api_text", { path })) as string;
    } catch (error) {
      throw toHearthError(error);
    }
  }
}

/** A file or folder on this computer, as the open dialog or a drop gives it: the handle
 * that stands for its path in requests, and its name to show. */
export interface LocalFile {
  handle: string;
  name: string;
}

/** Whether a picked document is one of the desktop's files (not a browser `File`). */
export function isLocalFile(value: unknown): value is LocalFile {
  return typeof value === "object" && value !== null && "handle" in value && typeof (value as LocalFile).handle === "string";
}

export interface Native {
  pickDocuments(multiple?: boolean): Promise<LocalFile[]>;
  pickFolder(): Promise<LocalFile | null>;
  /** The open dialog for a .gguf file (a model or a LoRA adapter); null when cancelled. */
  pickGguf(title: string): Promise<LocalFile | null>;
  /** The save dialog for a file the page made; the path it was saved to, or null when
   * the user cancelled. */
  saveFile(name: string, text: string): Promise<string | null>;
  /** A desktop notification, shown only when the window is not in front. */
  notifyFinished(title: string, body: string): Promise<void>;
  /** Files dropped on the window; `over` says whether something is being dragged over it. */
  onDrop(handler: (files: LocalFile[]) => void, over?: (dragging: boolean) => void): Promise<UnlistenFn>;
  /** Documents opened from the menu or handed over by a second launch. */
  onOpened(handler: (files: LocalFile[]) => void): Promise<UnlistenFn>;
  /** The menu asks for a page (a hash route). */
  onNavigate(handler: (hash: string) => void): Promise<UnlistenFn>;
}

export const desktopNative: Native = {
  pickDocuments: (multiple = false) => invoke<LocalFile[]>("pick_documents", { multiple }).catch((e) => Promise.reject(toHearthError(e))),
  pickFolder: () => invoke<LocalFile | null>("pick_folder").catch((e) => Promise.reject(toHearthError(e))),
  pickGguf: (title) => invoke<LocalFile | null>("pick_gguf", { title }).catch((e) => Promise.reject(toHearthError(e))),
  saveFile: (name, text) => invoke<string | null>("save_file", { name, text }).catch((e) => Promise.reject(toHearthError(e))),
  notifyFinished: async (title, body) => {
    await invoke("notify_finished", { title, body }).catch(() => {});
  },
  // The web view's own drag events only light the window up; the files themselves come
  // from the app, registered, as `documents-dropped`.
  onDrop: async (handler, over) => {
    const listening = [
      getCurrentWebview().onDragDropEvent((event) => {
        const type = event.payload.type;
        if (type === "over" || type === "enter") over?.(true);
        else over?.(false);
      }),
      listen<{ files: LocalFile[] }>("documents-dropped", (event) => {
        if (event.payload.files.length) handler(event.payload.files);
      }),
    ];
    const unlisten = await Promise.all(listening);
    return () => unlisten.forEach((stop) => stop());
  },
  onOpened: (handler) => listen<{ files: LocalFile[] }>("documents-opened", (event) => handler(event.payload.files)),
  onNavigate: (handler) => listen<string>("navigate", (event) => handler(event.payload)),
};

/** The desktop's abilities inside the app; null in a browser. */
export const native: Native | null = inDesktop() ? desktopNative : null;

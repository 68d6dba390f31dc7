// One interface between the UI and Hearth. In a browser it is HTTP + server-sent events
// against `hearth serve`; in the desktop app it will be Tauri IPC. Screens only see this.

import { readEvents, type SseEvent } from "./sse";

/** An error from Hearth: a stable code, a message that says what to do, the field at fault. */
export class HearthError extends Error {
  constructor(
    public code: string,
    message: string,
    public field?: string,
    public status?: number,
  ) {
    super(message);
    this.name = "HearthError";
  }
}

export interface Transport {
  /** A JSON request; rejects with a HearthError. */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A request answered with server-sent events; resolves when the stream ends. Aborting
   * `signal` closes the stream, which cancels the work on the server. */
  stream(path: string, body: unknown, onEvent: (event: SseEvent) => void, signal?: AbortSignal): Promise<void>;
  /** A download (export): the response body as text. */
  text(path: string): Promise<string>;
}

/** What to do when Hearth answers 401: the browser has no (or an old) login. */
export const LOGIN_NEEDED =
  "You are not logged in to Hearth in this browser: open the login link that `hearth serve` printed (or run `hearth serve --login-link` for a new one).";

/** A token for `npm run dev` only (VITE_HEARTH_TOKEN); the page Hearth serves carries
 * none and logs in with the session cookie its one-time login link set. */
export function devToken(): string {
  return (import.meta.env?.VITE_HEARTH_TOKEN as string | undefined) ?? "";
}

export class HttpTransport implements Transport {
  constructor(
    private token = "",
    private base = "",
    private fetchImpl: typeof fetch = (...args) => fetch(...args),
    /** Called on every 401, so the page can say how to log in. */
    private onUnauthorized: () => void = () => {},
  ) {}

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (json) headers["Content-Type"] = "application/json";
    return headers;
  }

  private async fail(response: Response): Promise<never> {
    if (response.status === 401) {
      this.onUnauthorized();
      throw new HearthError("UNAUTHORIZED", LOGIN_NEEDED, undefined, 401);
    }
    let body: { code?: string; message?: string; details?: { field?: string } } = {};
    try {
      body = await response.json();
    } catch {
      /* not JSON: fall back to the status */
    }
    throw new HearthError(
      body.code ?? `HTTP_${response.status}`,
      body.message ?? `Hearth answered ${response.status} ${response.statusText}`,
      body.details?.field,
      response.status,
    );
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.base + path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        // The session cookie from the login link; never sent to another origin.
        credentials: "same-origin",
        signal,
      });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new HearthError(
        "OFFLINE",
        "Hearth is not answering. Is `hearth serve` still running? Start it again, then reload this page.",
      );
    }
    if (!response.ok) await this.fail(response);
    return response;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    // 204, and 202 for a cancelled job, come without a body.
    const text = response.status === 204 ? "" : await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async stream(path: string, body: unknown, onEvent: (event: SseEvent) => void, signal?: AbortSignal): Promise<void> {
    const response = await this.send("POST", path, body, signal);
    if (!response.body) throw new HearthError("NO_STREAM", "the answer came without a stream; try again");
    try {
      await readEvents(response.body, onEvent);
    } catch (error) {
      if ((error as Error).name === "AbortError" || signal?.aborted) return;
      throw error;
    }
  }

  async text(path: string): Promise<string> {
    return (await this.send("GET", path)).text();
  }
}

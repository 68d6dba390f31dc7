// One way to run a long job from a page (summarize, translate, generate, a workflow run):
// its progress while it runs, an abort signal for its stream, cancelling by the job's id
// when the server gave one (the job then ends with what is done) or by closing the
// stream, and the error a cancelled job reads as.

import { useRef, useState } from "preact/hooks";
import { useApi } from "./shell";

/** What a job's work is given. */
export interface JobControl<P> {
  signal: AbortSignal;
  /** Shows how far the job is. */
  report: (progress: P) => void;
  /** The server's id for the job (its `started` event), so cancelling asks the server. */
  identify: (id: string) => void;
}

export interface Job<P> {
  /** How far the running job is; null when none runs. */
  progress: P | null;
  running: boolean;
  /** Runs `work`, showing `first` until it reports; a throw goes to `onError`. */
  start: (first: P, work: (job: JobControl<P>) => Promise<void>, onError: (error: unknown) => void) => Promise<void>;
  cancel: () => void;
}

export function useJob<P>(): Job<P> {
  const api = useApi();
  const [progress, setProgress] = useState<P | null>(null);
  const current = useRef<{ abort: AbortController; id?: string } | null>(null);

  async function start(first: P, work: (job: JobControl<P>) => Promise<void>, onError: (error: unknown) => void) {
    const abort = new AbortController();
    const job: { abort: AbortController; id?: string } = { abort };
    current.current = job;
    setProgress(first);
    try {
      await work({
        signal: abort.signal,
        report: setProgress,
        identify: (id) => {
          job.id = id;
        },
      });
    } catch (e) {
      onError(e);
    } finally {
      if (current.current === job) current.current = null;
      setProgress(null);
    }
  }

  function cancel() {
    const job = current.current;
    if (!job) return;
    if (job.id) api.cancelJob(job.id).catch(() => job.abort.abort());
    else job.abort.abort();
  }

  return { progress, running: progress !== null, start, cancel };
}

/** The error a job's `error` event stands for; a cancelled job says `cancelled`. */
export function jobError(data: { code: string; message: string }, cancelled = "Cancelled."): Error {
  return new Error(data.code === "CANCELLED" ? cancelled : data.message);
}

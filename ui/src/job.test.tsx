import { describe, expect, it, vi } from "vitest";
import { h } from "preact";
import { act } from "preact/test-utils";
import { ApiContext } from "./shell";
import { jobError, useJob, type Job } from "./job";
import { mount } from "./test-mount";
import type { Api } from "./api";

/** Mounts a component holding a job and hands the job out after each render. */
function withJob(api: Partial<Api>) {
  const seen: { job?: Job<number> } = {};
  function Holder() {
    seen.job = useJob<number>();
    return null;
  }
  mount(h(ApiContext.Provider, { value: api as Api }, h(Holder, {})));
  return seen;
}

describe("useJob", () => {
  it("shows progress while the work runs and clears it after", async () => {
    const seen = withJob({});
    let finish: () => void = () => {};
    let started: Promise<void> = Promise.resolve();
    await act(async () => {
      started = seen.job!.start(0, ({ report }) => {
        report(3);
        return new Promise<void>((resolve) => (finish = resolve));
      }, () => {});
    });
    expect(seen.job!.progress).toBe(3);
    expect(seen.job!.running).toBe(true);
    await act(async () => {
      finish();
      await started;
    });
    expect(seen.job!.progress).toBe(null);
  });

  it("cancels by the server's id when it has one, else by closing the stream", async () => {
    const cancelJob = vi.fn(() => Promise.resolve());
    const seen = withJob({ cancelJob } as Partial<Api>);
    let signal: AbortSignal | undefined;
    let finish: () => void = () => {};
    await act(async () => {
      void seen.job!.start(0, (job) => {
        signal = job.signal;
        return new Promise<void>((resolve) => (finish = resolve));
      }, () => {});
    });
    seen.job!.cancel();
    expect(signal!.aborted).toBe(true);
    await act(async () => finish());

    await act(async () => {
      void seen.job!.start(0, (job) => {
        job.identify("job-7");
        signal = job.signal;
        return new Promise<void>((resolve) => (finish = resolve));
      }, () => {});
    });
    seen.job!.cancel();
    expect(cancelJob).toHaveBeenCalledWith("job-7");
    expect(signal!.aborted).toBe(false);
    await act(async () => finish());
  });

  it("hands a failure to the page and says cancelled plainly", async () => {
    const seen = withJob({});
    const errors: unknown[] = [];
    await act(async () => {
      await seen.job!.start(0, () => Promise.reject(new Error("boom")), (e) => errors.push(e));
    });
    expect(String(errors[0])).toContain("boom");
    expect(jobError({ code: "CANCELLED", message: "x" }).message).toBe("Cancelled.");
    expect(jobError({ code: "CANCELLED", message: "x" }, "Stopped.").message).toBe("Stopped.");
    expect(jobError({ code: "OTHER", message: "it broke" }).message).toBe("it broke");
  });
});

// Where the Models page says a model's layers would go: the CPU without a GPU, all of
// them on a GPU that holds them, or a share with the rest on the CPU.

import { describe, expect, it } from "vitest";
import { whereLayersGo } from "./models";

const GiB = 1024 ** 3;

describe("where a model runs", () => {
  it("says the CPU when no GPU takes layers", () => {
    expect(whereLayersGo(null)).toMatch(/^the CPU/);
    expect(whereLayersGo(undefined)).toMatch(/^the CPU/);
  });

  it("names the GPU, its share of the layers and whether its memory holds them", () => {
    const gpu = { device: "AMD Radeon 780M", backend: "Vulkan", gpu_layers: 29, layers: 29, vram_needed: 2 * GiB, vram_free: 6 * GiB, vram_verdict: "Fits" as const };
    expect(whereLayersGo(gpu)).toBe("AMD Radeon 780M (Vulkan): all 29 layers; needs 2.0 GB of its 6.0 GB free, fits");
    const part = whereLayersGo({ ...gpu, gpu_layers: 12, vram_verdict: "Tight" });
    expect(part).toContain("12 of 29 layers (the rest on the CPU)");
    expect(part).toMatch(/tight$/);
  });
});

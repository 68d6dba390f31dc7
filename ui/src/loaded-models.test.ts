import { describe, expect, it } from "vitest";
import { budgetText, memoryHeld, usageText } from "./loaded-models";

describe("loaded models", () => {
  it("says whether a model is answering or how long it has been idle", () => {
    expect(usageText({ busy: true, idle_seconds: 900 })).toBe("answering");
    expect(usageText({ busy: false, idle_seconds: 5 })).toBe("just used");
    expect(usageText({ busy: false, idle_seconds: 240 })).toBe("idle 4 min");
    expect(usageText({ busy: false, idle_seconds: 3 * 3600 + 120 })).toBe("idle 3 h 2 min");
  });

  it("says what the models hold of the budget and when idle ones go", () => {
    expect(budgetText({ used_bytes: 1024 ** 3, budget_bytes: 8 * 1024 ** 3, embedding_bytes: 0, unload_idle_minutes: 30 })).toBe(
      "Using 1.0 GB of 8.0 GB; idle models unload after 30 minutes.",
    );
    expect(budgetText({ used_bytes: 1024 ** 3, budget_bytes: 8 * 1024 ** 3, embedding_bytes: 90 * 1024 ** 2, unload_idle_minutes: 1 })).toBe(
      "Using 1.0 GB of 8.0 GB (90.0 MB of it for document search); idle models unload after 1 minute.",
    );
    expect(budgetText({ used_bytes: 0, budget_bytes: 1024 ** 3, embedding_bytes: 0, unload_idle_minutes: 0 })).toBe(
      "Using 0 B of 1.0 GB; models stay loaded until Hearth quits.",
    );
  });

  it("counts a GPU's share apart", () => {
    expect(memoryHeld({ ram: 300 * 1024 ** 2, vram: 0, device: null })).toBe("300.0 MB");
    expect(memoryHeld({ ram: 300 * 1024 ** 2, vram: 800 * 1024 ** 2, device: "Vulkan0" })).toBe("300.0 MB + 800.0 MB on Vulkan0");
  });
});

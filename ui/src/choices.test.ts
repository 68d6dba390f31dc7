import { describe, expect, it } from "vitest";
import type { ModelChoice } from "./api";
import { contextText, costText, memoryText, sortChoices, speedText, whereItRuns } from "./choices";

const local: ModelChoice = {
  id: "smollm2",
  name: "SmolLM2 135M Instruct",
  provider: null,
  private: true,
  is_default: true,
  embedding: false,
  size_bytes: 100 * 1024 * 1024,
  memory_bytes: 300 * 1024 * 1024,
  fits: "Fits",
  parameters: 134_515_008,
  quantization: "Q4_1",
  context_length: 8192,
  license: "apache-2.0",
  speed: { generation_tokens_per_second: 41.26, prompt_tokens_per_second: 900, generations: 7 },
  input_cost_per_1k: null,
  output_cost_per_1k: null,
};

const remote: ModelChoice = {
  ...local,
  id: "work:gpt-4o-mini",
  name: "gpt-4o-mini",
  provider: "work",
  private: false,
  is_default: false,
  size_bytes: null,
  memory_bytes: null,
  fits: null,
  parameters: null,
  quantization: null,
  context_length: 128000,
  license: null,
  speed: null,
  input_cost_per_1k: 0.00015,
  output_cost_per_1k: 0.0006,
};

describe("the model comparison", () => {
  it("says where each model runs", () => {
    expect(whereItRuns(local)).toBe("On this computer");
    expect(whereItRuns(remote)).toBe("At work");
  });

  it("shows the memory a local model needs and whether it fits", () => {
    expect(memoryText(local)).toBe("300.0 MB, fits");
    expect(memoryText({ ...local, fits: "WillNotFit" })).toBe("300.0 MB, won't fit");
    expect(memoryText({ ...local, fits: null })).toBe("300.0 MB");
    expect(memoryText({ ...local, memory_bytes: null })).toBe("unknown");
    expect(memoryText(remote)).toBe("—");
  });

  it("shows the measured speed, or that none was measured", () => {
    expect(speedText(local.speed)).toBe("41.3 tokens/s over 7 generations");
    expect(speedText({ generation_tokens_per_second: 250.4, prompt_tokens_per_second: 0, generations: 1 })).toBe("250 tokens/s over 1 generation");
    expect(speedText({ generation_tokens_per_second: 60216.3, prompt_tokens_per_second: 0, generations: 2 })).toBe("60,216 tokens/s over 2 generations");
    expect(speedText(null)).toBe("not measured yet");
    expect(speedText({ generation_tokens_per_second: 0, prompt_tokens_per_second: 0, generations: 0 })).toBe("not measured yet");
  });

  it("prices local models as free and remote ones as configured", () => {
    expect(costText(local)).toBe("free");
    expect(costText(remote)).toBe("0.00015 in / 0.0006 out");
    expect(costText({ ...remote, input_cost_per_1k: null })).toBe("not set in / 0.0006 out");
    expect(costText({ ...remote, input_cost_per_1k: null, output_cost_per_1k: null })).toBe("not set");
    expect(costText({ ...remote, input_cost_per_1k: 0.1 + 0.2, output_cost_per_1k: 0 })).toBe("0.3 in / 0 out");
  });

  it("writes context lengths with separators", () => {
    expect(contextText(8192)).toBe("8,192 tokens");
    expect(contextText(null)).toBe("unknown");
  });

  it("lists the default first, then local, remote, and embedding models last", () => {
    const embedding = { ...local, id: "all-MiniLM-L6-v2", is_default: false, embedding: true };
    const other = { ...local, id: "gemma", is_default: false };
    const remoteDefault = { ...remote, id: "a:b", is_default: false };
    expect(sortChoices([embedding, remote, other, remoteDefault, local]).map((m) => m.id)).toEqual(["smollm2", "gemma", "a:b", "work:gpt-4o-mini", "all-MiniLM-L6-v2"]);
  });
});

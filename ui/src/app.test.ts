import { describe, expect, it } from "vitest";
import { parseRoute } from "./routes";

describe("parseRoute", () => {
  it("reads the Workflows page and its tab from the hash", () => {
    expect(parseRoute("#/workflows")).toEqual({ page: "workflows", tab: "workflows" });
    expect(parseRoute("#/workflows/run")).toEqual({ page: "workflows", tab: "run" });
    expect(parseRoute("#/workflows/prompts")).toEqual({ page: "workflows", tab: "prompts" });
    expect(parseRoute("#/workflows/nonsense")).toEqual({ page: "workflows", tab: "workflows" });
  });

  it("keeps the other pages as they were", () => {
    expect(parseRoute("#/chat/abc%20d")).toEqual({ page: "chat", id: "abc d" });
    expect(parseRoute("#/activity")).toEqual({ page: "activity" });
    expect(parseRoute("#/check")).toEqual({ page: "check" });
    expect(parseRoute("")).toEqual({ page: "chat" });
  });
});

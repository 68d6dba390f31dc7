import { describe, expect, it } from "vitest";
import { adapterLabel, parseAdapterScale } from "./adapter";

describe("adapters", () => {
  it("labels an adapter by its file name and scale", () => {
    expect(adapterLabel({ path: "/home/me/adapters/style.gguf", scale: 0.5 })).toBe("style.gguf @ 0.5");
    expect(adapterLabel({ path: "C:\\adapters\\tone.gguf" })).toBe("tone.gguf @ 1");
    expect(adapterLabel({ path: "plain.gguf", scale: 1 })).toBe("plain.gguf @ 1");
  });

  it("reads a typed scale: empty is 1, out of range is named", () => {
    expect(parseAdapterScale("")).toEqual({ scale: 1 });
    expect(parseAdapterScale(" 0.25 ")).toEqual({ scale: 0.25 });
    expect(parseAdapterScale("0")).toEqual({ scale: 0 });
    expect(parseAdapterScale("1.5")).toEqual({ error: "the adapter scale is a number from 0 to 1." });
    expect(parseAdapterScale("abc")).toEqual({ error: "the adapter scale is a number from 0 to 1." });
    expect(parseAdapterScale("-2", -4, 4)).toEqual({ scale: -2 });
  });
});

import { describe, expect, it } from "vitest";
import { parseGlossary, toBase64 } from "./files";

describe("parseGlossary", () => {
  it("reads the three separators and skips comments", () => {
    const { entries, errors } = parseGlossary("# terms\nweather = temps\nserver\tserveur\nfile, fichier\n\n");
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      { term: "weather", translation: "temps" },
      { term: "server", translation: "serveur" },
      { term: "file", translation: "fichier" },
    ]);
  });
  it("names the lines it cannot read", () => {
    expect(parseGlossary("ok = bien\njust a term\n= nothing").errors).toEqual([
      "line 2: write it as “term = translation”",
      "line 3: write it as “term = translation”",
    ]);
  });
});

describe("toBase64", () => {
  it("encodes binary data, also past one chunk", () => {
    expect(toBase64(new Uint8Array([0, 255, 10]))).toBe("AP8K");
    const big = new Uint8Array(100_000).map((_, i) => i % 256);
    expect(atob(toBase64(big)).length).toBe(100_000);
  });
});

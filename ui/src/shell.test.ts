import { describe, expect, it } from "vitest";

// The shell (app.tsx) imports every page; a page importing it back makes a cycle in
// which a module can be used before it is defined. Pages share the shell's parts
// through shell.tsx and routes.ts instead.
const sources = import.meta.glob<string>("./*.{ts,tsx}", { query: "?raw", import: "default", eager: true });

describe("the shell", () => {
  it("is imported by the entry point alone", () => {
    const importers = Object.entries(sources)
      .filter(([, text]) => /from "\.\/app"/.test(text))
      .map(([path]) => path);
    expect(Object.keys(sources).length).toBeGreaterThan(30);
    expect(importers).toEqual(["./main.tsx"]);
  });
});

import { describe, expect, it } from "vitest";
import { indexingLine } from "./indexing";
import type { IndexingStatus } from "./api";

const idle: IndexingStatus = { running: true, collections: [], indexing: null, waiting: 0, recent: [] };

describe("indexingLine", () => {
  it("says nothing when the watcher is idle or not running", () => {
    expect(indexingLine(null)).toBeNull();
    expect(indexingLine(idle)).toBeNull();
    expect(indexingLine({ ...idle, running: false, waiting: 3 })).toBeNull();
  });

  it("names the file and how far its passages are", () => {
    const status: IndexingStatus = {
      ...idle,
      indexing: { collection: "Notes", rescan: false, progress: { event: "embedding", path: "/home/me/notes/kiln.md", done: 3, total: 10 } },
    };
    expect(indexingLine(status)).toBe("Indexing “Notes”: kiln.md, 3 of 10 passages");
  });

  it("tells OCR pages, a start-up rescan and changes waiting for the folder to settle apart", () => {
    expect(
      indexingLine({ ...idle, indexing: { collection: "Scans", rescan: false, progress: { event: "reading", path: "C:\\scans\\letter.pdf", done: 2, total: 5 } } }),
    ).toBe("Indexing “Scans”: letter.pdf, reading scanned page 2 of 5 (OCR)");
    expect(indexingLine({ ...idle, indexing: { collection: "Notes", rescan: true, progress: null } })).toMatch(/changed while Hearth was closed/);
    expect(indexingLine({ ...idle, waiting: 1 })).toBe("1 change seen; indexing when the folder is quiet…");
    expect(indexingLine({ ...idle, waiting: 4 })).toMatch(/^4 changes/);
  });
});

import { describe, expect, it, vi } from "vitest";
import type { Native } from "./desktop";
import { saveText } from "./save";

describe("saveText", () => {
  it("hands the file to the desktop's save dialog and says where it went", async () => {
    const saveFile = vi.fn(async () => "/home/me/backup.json");
    const desktop = { saveFile } as unknown as Native;
    expect(await saveText("backup.json", "{}", "application/json", desktop)).toBe("/home/me/backup.json");
    expect(saveFile).toHaveBeenCalledWith("backup.json", "{}");
  });

  it("downloads through a link in a browser", async () => {
    const clicked: { name: string; href: string }[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ name: this.download, href: this.href });
    });
    URL.createObjectURL = vi.fn(() => "blob:hearth/1");
    URL.revokeObjectURL = vi.fn();
    expect(await saveText("summary.md", "# Sum", "text/markdown", null)).toBeNull();
    expect(clicked).toEqual([{ name: "summary.md", href: "blob:hearth/1" }]);
    click.mockRestore();
  });
});

import { describe, expect, it } from "vitest";
import type { Workflow } from "./api";
import { sentence, serverProblems } from "./workflow-limits";

describe("serverProblems", () => {
  it("sends the workflow to the server's check and lists its problems as sentences", async () => {
    const sent: Workflow[] = [];
    const api = {
      checkWorkflow: async (workflow: Workflow) => {
        sent.push(workflow);
        return { problems: ["step 2 (classify): another step has the same name; give one of them a `name`", "the workflow needs a name"] };
      },
    };
    const workflow: Workflow = { name: "", steps: [] };
    expect(await serverProblems(api, workflow)).toEqual([
      "Step 2 (classify): another step has the same name; give one of them a `name`.",
      "The workflow needs a name.",
    ]);
    expect(sent).toEqual([workflow]);
  });

  it("passes the server's refusal on rather than calling the workflow fine", async () => {
    const api = {
      checkWorkflow: async () => {
        throw new Error("The server is not running.");
      },
    };
    await expect(serverProblems(api, { name: "x", steps: [] })).rejects.toThrow("not running");
  });
});

describe("sentence", () => {
  it("capitalizes and ends with a full stop once", () => {
    expect(sentence("count must be 1 to 10000")).toBe("Count must be 1 to 10000.");
    expect(sentence("Done already.")).toBe("Done already.");
    expect(sentence("  ")).toBe("");
  });
});

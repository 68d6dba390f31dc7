// The server's workflow rules, asked rather than copied: the limits (steps, records) for
// the forms' bounds, and the check a workflow goes through before it is saved or run.

import { useEffect, useState } from "preact/hooks";
import type { Api, Workflow, WorkflowLimits } from "./api";
import { useApi } from "./shell";

/** The server's limits; null until they arrive (or when they cannot be had: the
 * server checks again, so a form without them only loses its hints). */
export function useWorkflowLimits(): WorkflowLimits | null {
  const api = useApi();
  const [limits, setLimits] = useState<WorkflowLimits | null>(null);
  useEffect(() => {
    let live = true;
    api.workflowLimits().then(
      (got) => live && setLimits(got),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return limits;
}

/** The server's problems with a workflow, as sentences for a list. */
export async function serverProblems(api: Pick<Api, "checkWorkflow">, workflow: Workflow): Promise<string[]> {
  const { problems } = await api.checkWorkflow(workflow);
  return problems.map(sentence);
}

/** "step 2 (classify): give …" → "Step 2 (classify): give …." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const upper = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(upper) ? upper : `${upper}.`;
}

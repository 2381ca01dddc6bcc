import { randomBytes } from "node:crypto";
import { addDays } from "date-fns";
import { createRecord } from "../../src/db/history.js";
import type { Actor } from "../../src/db/historyModels.js";
import type { Complaint } from "../../src/records/complaint/model.js";
import { referenceStream } from "../../src/records/lifecycle.js";
import { TEST_START } from "./clock.js";

export const alice: Actor = { id: "U_ALICE", name: "Alice Quality" };
export const bob: Actor = { id: "U_BOB", name: "Bob Reporter" };

export function newWorkspaceId(): string {
  return `slack:T${randomBytes(4).toString("hex").toUpperCase()}`;
}

/** A complaint straight through the history engine, with sensible defaults. */
export async function buildComplaint(
  workspaceId: string,
  overrides: Partial<Omit<Complaint, "_id">> = {},
  // Never today: a record made "now" would carry this year in its reference.
  at = new Date(TEST_START),
): Promise<Complaint> {
  const { stream, keyFor } = referenceStream(workspaceId, "CMP", at.getUTCFullYear());
  const { record } = await createRecord<Complaint>({
    kind: "complaint",
    workspaceId,
    stream,
    keyFor,
    actor: bob,
    at,
    fields: {
      state: "new",
      title: "Scratched housing on delivery",
      description: "Three units arrived scratched.",
      customer: "ACME GmbH",
      productRef: "PO-4471",
      severity: "medium",
      category: "product",
      reporter: bob,
      owner: null,
      dueAt: addDays(at, 14),
      source: null,
      linkedActions: [],
      customerNotified: null,
      rejectionReason: null,
      stateChangedBy: bob,
      stateChangedAt: at,
      ...overrides,
    },
  });
  return record;
}

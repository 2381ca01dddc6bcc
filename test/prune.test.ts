import { describe, expect, it } from "vitest";
import { deliveryCore } from "../src/commands/deliveries.js";
import { prune } from "../src/commands/tasks.js";
import { createLogger } from "../src/logger.js";
import { runDeliveryPass } from "../src/outbox/engine.js";
import { cancelDeliveries, enqueueDeliveries } from "../src/outbox/enqueue.js";
import { DeliveryClaimModel, DeliveryModel, DueSlotModel } from "../src/outbox/models.js";
import type { MessagingPort } from "../src/outbox/port.js";
import { answer } from "../src/views/build.js";
import { useTestDatabase } from "./helpers/db.js";

useTestDatabase();
const logger = createLogger("silent", false);

/** A platform that takes every message and cannot be asked afterwards whether one arrived. */
function port(sent: string[]): MessagingPort {
  return {
    platform: "slack",
    canLookUp: false,
    usesContacts: false,
    send: async (recipient) => {
      sent.push(recipient.id);
      return { posted: { channelId: `D-${recipient.id}`, ts: "1.1" } };
    },
    update: async () => undefined,
    findDelivered: async () => null,
    listMembers: async () => ({ members: [], contacts: [] }),
  };
}

describe("pruning the delivery engine's working rows", () => {
  it("keeps what is evidence (sent and failed deliveries) and a claim that still stands for an unsettled attempt; drops old slots, claims and cancelled deliveries", async () => {
    const workspaceId = "slack:TPRUNE";
    const t0 = new Date("2026-06-01T10:00:00Z");
    const clock = { now: () => t0 };
    const recipients = ["USENT", "UFAILED", "UCANCELLED", "UMIDSEND"];
    await enqueueDeliveries(
      recipients.map((recipientId) => ({
        workspaceId,
        occasion: "prune:request",
        recipientId,
        notBefore: t0,
        workingHoursOnly: false,
        content: { view: answer("Please acknowledge") },
      })),
      t0,
    );
    const idOf = async (recipientId: string) =>
      String((await DeliveryModel.findOne({ workspaceId, recipientId }).lean())?._id);
    const [sentId, failedId, cancelledId, midSendId] = await Promise.all(recipients.map(idOf));
    // What a working engine leaves: one delivery sent, one failed for good, one cancelled, and
    // one whose worker died after claiming it (its claim stands; nobody has looked since).
    await DeliveryClaimModel.collection.insertOne({ _id: `${midSendId}#0` as never, worker: "dead", at: t0 });
    await cancelDeliveries([cancelledId as string], "acknowledged", t0);
    await DeliveryModel.updateOne(
      { _id: failedId },
      { $set: { state: "failed", attempts: 5, lastError: "user_not_found" } },
    );
    const sent: string[] = [];
    await runDeliveryPass({
      logger,
      clock,
      port: port(sent),
      core: deliveryCore(logger, clock.now),
      workerId: "w",
    });
    expect(sent).toEqual(["USENT"]);
    expect(await DueSlotModel.countDocuments({})).toBeGreaterThan(0);

    const pruned = await prune(new Date("2026-09-15T10:00:00Z"));
    expect(pruned).toMatchObject({ cancelled: 1 });
    const left = new Map((await DeliveryModel.find({ workspaceId }).lean()).map((d) => [String(d._id), d]));
    expect(left.get(sentId as string)).toMatchObject({ state: "sent", recipientId: "USENT" });
    expect(left.get(failedId as string)).toMatchObject({ state: "failed", lastError: "user_not_found" });
    expect(left.has(cancelledId as string)).toBe(false);
    expect(left.get(midSendId as string)?.state).toBe("pending");
    expect(await DeliveryClaimModel.findById(`${sentId}#0`).lean()).toBeNull();
    expect(await DeliveryClaimModel.findById(`${midSendId}#0`).lean()).not.toBeNull();
    expect(
      await DueSlotModel.countDocuments({ _id: { $lt: `${Math.floor(t0.getTime() / 1000) + 60}` } }),
    ).toBe(0);

    // The kept claim does its job: the next worker does not send blindly what may be out.
    // Two passes: the first finds the stale claim (uncertain), the second settles it.
    const later = { now: () => new Date("2026-09-15T10:05:00Z") };
    const deps = {
      logger,
      clock: later,
      port: port(sent),
      core: deliveryCore(logger, later.now),
      workerId: "w2",
    };
    for (let pass = 0; pass < 2; pass++) await runDeliveryPass(deps);
    expect(sent).toEqual(["USENT"]);
    expect((await DeliveryModel.findById(midSendId).lean())?.state).toBe("unconfirmed");
  });
});

import { addMilliseconds, addSeconds } from "date-fns";
import { addWorkingDays, nextWorkingMoment } from "../time/workingHours.js";
import { claimAll, PassWrites } from "./claims.js";
import { dueDeliveries, WAITING_STATES, workers } from "./due.js";
import {
  type Delivery,
  DeliveryClaimModel,
  DeliveryModel,
  type DeliveryState,
  UndeliverableModel,
} from "./models.js";
import { Pauses, takeBudget, takeProbe } from "./pauses.js";
import { DeliveryFailure, type Posted, type Recipient } from "./port.js";

const UNCERTAIN_RECHECK_S = 30;
const MAX_ATTEMPTS = 12;

export {
  CLAIM_LEASE_MS,
  type Clock,
  type DeliveryCore,
  type DeliveryDeps,
  type PassResult,
} from "./types.js";

import { CLAIM_LEASE_MS, type DeliveryDeps, type PassResult, type RecipientInfo } from "./types.js";

/** Claims inserted with one command (and deliveries handled together) in a pass. */
const CLAIM_BATCH = 32;
/** Deliveries of a batch sent at once (each: its own message, under its own claim). */
const SEND_CONCURRENCY = 8;

// ---------------------------------------------------------------- a pass

/**
 * One pass over due deliveries. Each send happens under a claim (`<delivery>#<attempt>`,
 * unique), so several workers share the work and never send the same attempt twice; a new
 * attempt is made only after the previous one is known not to have been posted.
 */
export async function runDeliveryPass(
  deps: DeliveryDeps,
  limit = 200,
  forWorkspace: (workspaceId: string) => boolean = () => true,
): Promise<PassResult> {
  const now = deps.clock.now();
  const wheelKey = `${deps.workerId}|${deps.port.platform}`;
  const chunks = await dueDeliveries(wheelKey, now, limit);
  const pass = new Pass(deps, now);
  try {
    for (const chunk of chunks) await pass.handle((await chunk).filter((d) => forWorkspace(d.workspaceId)));
    await pass.finish();
  } catch (error) {
    // What this pass took from the wheel and did not settle is found by the next pass's sweep.
    workers.get(wheelKey)?.reader.swept(false, "now");
    throw error;
  }
  return pass.result;
}

/**
 * Sends these deliveries now, if they are due: the same claims and checks as a pass, for what a
 * request just recorded (the answer to the person who acted, a post in the quality channel), so
 * it does not wait for the next pass. Anything this does not settle, a pass settles.
 */
export async function deliverNow(deps: DeliveryDeps, ids: string[]): Promise<PassResult> {
  const now = deps.clock.now();
  const found = (await Promise.all(
    ids.map((id) => DeliveryModel.collection.findOne({ _id: id as never })),
  )) as (Delivery | null)[];
  const pass = new Pass(deps, now);
  const due = found.filter(
    (d): d is Delivery =>
      d !== null &&
      WAITING_STATES.includes(d.state) &&
      d.notBefore <= now &&
      deps.port.platform === d.workspaceId.split(":")[0],
  );
  await pass.handle(due);
  await pass.finish();
  return pass.result;
}

const recipientKey = (d: Delivery) => `${d.workspaceId}|${d.to ?? "person"}|${d.recipientId}`;

class Pass {
  readonly result: PassResult = { sent: 0, deferred: 0, retried: 0, uncertain: 0, failed: 0, skipped: 0 };
  private readonly writes: PassWrites;
  private readonly pauses = new Pauses();
  /** Workspaces whose pause is over and whose probe this pass sends (one message, alone). */
  private readonly probing = new Map<string, Date>();
  private readonly recipients = new Map<string, RecipientInfo>();
  private readonly lease: number;

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly now: Date,
  ) {
    this.writes = new PassWrites(now);
    this.lease = deps.claimLeaseMs ?? CLAIM_LEASE_MS;
  }

  async handle(queue: Delivery[]): Promise<void> {
    for (let i = 0; i < queue.length; i += CLAIM_BATCH) {
      const batch: Delivery[] = [];
      const chunk = queue.slice(i, i + CLAIM_BATCH);
      await this.learnRecipients(chunk);
      for (const delivery of chunk) if (await this.ready(delivery)) batch.push(delivery);
      const claims = await claimAll(batch, this.deps.workerId, this.deps.clock, this.lease);
      const claimed: { delivery: Delivery; at: Date }[] = [];
      for (const { delivery, claim } of claims) {
        if (claim.ok) claimed.push({ delivery, at: claim.at });
        else {
          // Looked at again when the claim's lease runs out (or at once, now that it has).
          this.writes.lookAgain(delivery._id, claim.lookAgainAt);
          this.result.skipped++;
        }
      }
      // A probe goes alone: its workspace's other messages wait for its answer.
      const probes = claimed.filter((c) => this.probing.has(c.delivery.workspaceId));
      const rest = claimed.filter((c) => !this.probing.has(c.delivery.workspaceId));
      for (const probe of probes) await this.send(probe.delivery, probe.at);
      await Promise.all(
        Array.from({ length: Math.min(SEND_CONCURRENCY, rest.length) }, async () => {
          for (let next = rest.shift(); next; next = rest.shift()) await this.send(next.delivery, next.at);
        }),
      );
    }
  }

  async finish(): Promise<void> {
    await this.writes.finish();
  }

  /** Who this batch's recipients are, read together (once per recipient in a pass). */
  private async learnRecipients(deliveries: Delivery[]): Promise<void> {
    const unknown = new Map<string, Delivery>();
    for (const d of deliveries) if (!this.recipients.has(recipientKey(d))) unknown.set(recipientKey(d), d);
    if (!unknown.size) return;
    const found = await this.deps.core.recipients([...unknown.values()], {
      contacts: this.deps.port.usesContacts,
    });
    [...unknown.keys()].forEach((key, i) => {
      const info = found[i];
      if (info) this.recipients.set(key, info);
    });
  }

  private async recipientOf(delivery: Delivery): Promise<RecipientInfo> {
    let found = this.recipients.get(recipientKey(delivery));
    if (!found) {
      await this.learnRecipients([delivery]);
      found = this.recipients.get(recipientKey(delivery));
      if (!found) throw new Error(`no recipient drawn for delivery ${delivery._id}`);
    }
    return found;
  }

  /** Before claiming: what must wait (a paused workspace, a reminder's request, working hours). */
  private async ready(delivery: Delivery): Promise<boolean> {
    if (delivery.after) {
      const waitUntil = await this.afterPredecessor(delivery);
      if (waitUntil === "moot") {
        await DeliveryModel.updateOne(
          { _id: delivery._id },
          {
            $set: { state: "cancelled", lastError: "cancelled: the message it follows up was not delivered" },
          },
        );
        return false;
      }
      if (waitUntil) {
        await this.writes.postpone(delivery._id, waitUntil);
        this.result.deferred++;
        return false;
      }
    }
    const paused = await this.pauses.until(delivery.workspaceId);
    if (paused && paused > this.now) {
      await this.writes.postpone(delivery._id, paused);
      this.result.retried++;
      return false;
    }
    if (delivery.workingHoursOnly) {
      const { zone, hours } = await this.recipientOf(delivery);
      const when = nextWorkingMoment(this.now, zone, hours);
      if (when > this.now) {
        await this.writes.postpone(delivery._id, when);
        this.result.deferred++;
        return false;
      }
    }
    if (paused) {
      // The pause is over: one message goes first, alone (taken by one worker); the rest of the
      // workspace's messages wait for its answer.
      if (
        this.probing.has(delivery.workspaceId) ||
        !(await takeProbe(delivery.workspaceId, paused, this.now))
      ) {
        this.writes.lookAgain(delivery._id, addMilliseconds(this.now, 500));
        this.result.skipped++;
        return false;
      }
      this.probing.set(delivery.workspaceId, paused);
    }
    return true;
  }

  /**
   * A follow-up (a reminder) goes `workingDays` working days after the message it follows was
   * sent, in the recipient's zone. Null: due now; a date: wait; "moot": that message never went.
   */
  private async afterPredecessor(delivery: Delivery): Promise<Date | null | "moot"> {
    const after = delivery.after as NonNullable<Delivery["after"]>;
    const before = (await DeliveryModel.findById(after.delivery).lean()) as Delivery | null;
    if (!before || before.state === "failed" || before.state === "cancelled") return "moot";
    if (before.state !== "sent" && before.state !== "unconfirmed")
      return addMilliseconds(this.now, 10 * 60_000);
    const { zone, hours } = await this.recipientOf(delivery);
    const due = addWorkingDays(before.sentAt ?? before.notBefore, after.workingDays, zone, hours);
    return due > this.now ? due : null;
  }

  /** Gives an unsent attempt back: its claim goes, so the attempt is not used up. */
  private async release(delivery: Delivery, until: Date): Promise<void> {
    await DeliveryClaimModel.deleteOne({ _id: `${delivery._id}#${delivery.attempts}` });
    await this.writes.postpone(delivery._id, until);
  }

  /** Under a claim: sends, unless the claim got old or the workspace was paused since. */
  private async send(delivery: Delivery, claimedAt: Date): Promise<void> {
    const now = this.deps.clock.now();
    if (now.getTime() - claimedAt.getTime() > this.lease / 2) {
      // Sending this late could land after another worker took the claim as expired.
      await this.release(delivery, now);
      this.result.skipped++;
      return;
    }
    const paused = await this.pauses.until(delivery.workspaceId);
    if (paused && paused > now) {
      await this.release(delivery, paused);
      this.result.retried++;
      return;
    }
    const outcome = await this.attempt(delivery);
    this.result[outcome.counter]++;
    if (outcome.counter === "sent") {
      const probe = this.probing.get(delivery.workspaceId);
      if (probe) {
        await this.pauses.clear(delivery.workspaceId, probe);
        this.probing.delete(delivery.workspaceId);
      }
    }
    if (outcome.retryAt) this.writes.lookAgain(delivery._id, outcome.retryAt);
  }

  private async attempt(delivery: Delivery): Promise<{ counter: keyof PassResult; retryAt?: Date }> {
    const { deps } = this;
    const next = delivery.attempts + 1;
    const log = deps.logger.child({ delivery: delivery._id, attempt: next });
    const info = await this.recipientOf(delivery);
    const recipient: Recipient = {
      workspaceId: delivery.workspaceId,
      id: delivery.recipientId,
      to: delivery.to ?? "person",
      zone: info.zone,
      contact: info.contact,
      knownChannel: delivery.posted?.channelId ?? null,
    };
    try {
      if (delivery.state === "uncertain") {
        if (!deps.port.canLookUp) {
          // The platform cannot be asked whether it arrived: it is not posted again (see README).
          await this.settle(delivery, "unconfirmed", { lastError: delivery.lastError });
          log.warn("uncertain delivery left unconfirmed: this platform offers no way to check it");
          return { counter: "uncertain" };
        }
        const found = await deps.port.findDelivered(recipient, delivery._id);
        if (found) {
          log.info("an uncertain delivery had been posted; not sending it again");
          await this.markSent(delivery, found);
          return { counter: "sent" };
        }
        // Known not posted: from here on a failure (a 429) keeps it pending, not uncertain.
        await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { state: "pending" } });
        delivery = { ...delivery, state: "pending" };
      }
      const view = await deps.core.render(delivery, info.zone);
      if (!view) {
        await this.settle(delivery, "cancelled", { lastError: "cancelled: nothing to say any more" });
        return { counter: "skipped" };
      }
      if (deps.port.perWorkspacePerSecond)
        await takeBudget(delivery.workspaceId, deps.port.perWorkspacePerSecond);
      if (delivery.op === "update") {
        const post = delivery.updates
          ? ((await DeliveryModel.findById(delivery.updates).lean()) as Delivery | null)
          : null;
        if (!post || post.state === "failed" || post.state === "cancelled") {
          await this.settle(delivery, "cancelled", {
            lastError: "cancelled: the message to edit was never posted",
          });
          return { counter: "skipped" };
        }
        if (!post.posted) {
          // Not posted yet: the edit waits for it (the post shows the record as it is anyway).
          await this.release(delivery, addSeconds(this.deps.clock.now(), 5));
          return { counter: "deferred" };
        }
        await deps.port.update(recipient, post.posted, view);
        await this.markSent(delivery, post.posted);
        return { counter: "sent" };
      }
      const { posted, contact } = await deps.port.send(recipient, view, delivery._id);
      await this.markSent(delivery, posted);
      if (contact) await deps.core.keepContact(delivery.workspaceId, contact);
      return { counter: "sent" };
    } catch (error) {
      const failure =
        error instanceof DeliveryFailure
          ? error
          : new DeliveryFailure("uncertain", error instanceof Error ? error.message : String(error));
      const at = this.deps.clock.now();
      const base = {
        attempts: next,
        lastError: `${failure.kind}: ${failure.message}`.slice(0, 500),
      };
      if (failure.kind === "rate_limited") {
        // Counted from when the 429 arrived, for every worker.
        const until = await this.pauses.set(delivery.workspaceId, at, failure.retryAfterMs);
        await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, notBefore: until } });
        return { counter: "retried", retryAt: until };
      }
      if (failure.kind === "permanent" || next >= MAX_ATTEMPTS) {
        await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, state: "failed" } });
        await UndeliverableModel.replaceOne(
          { _id: delivery._id },
          {
            _id: delivery._id,
            workspaceId: delivery.workspaceId,
            occasion: delivery.occasion,
            recipientId: delivery.recipientId,
            reason: failure.message.slice(0, 300),
            at,
          },
          { upsert: true },
        ).catch((e: unknown) => log.error({ err: e }, "could not record an undeliverable message"));
        log.error({ err: error }, "delivery failed for good");
        return { counter: "failed" };
      }
      if (failure.kind === "uncertain") {
        const recheck = addSeconds(at, UNCERTAIN_RECHECK_S);
        await DeliveryModel.updateOne(
          { _id: delivery._id },
          { $set: { ...base, state: "uncertain", notBefore: recheck } },
        );
        log.warn({ err: error }, "delivery uncertain; will check before sending again");
        return { counter: "uncertain", retryAt: recheck };
      }
      const retryAt = addSeconds(at, Math.min(2 ** next * 5, 900));
      await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, notBefore: retryAt } });
      return { counter: "retried", retryAt };
    }
  }

  private async markSent(delivery: Delivery, posted: Posted): Promise<void> {
    // The time the platform took it, not the pass's start.
    await this.writes.sent(delivery._id, posted, this.deps.clock.now());
    await this.deps.core
      .sent(delivery, posted)
      .catch((error: unknown) =>
        this.deps.logger.error(
          { err: error, delivery: delivery._id },
          "could not record where a message went",
        ),
      );
  }

  private async settle(
    delivery: Delivery,
    state: DeliveryState,
    fields: Record<string, unknown>,
  ): Promise<void> {
    await DeliveryModel.updateOne(
      { _id: delivery._id },
      { $set: { ...fields, state, attempts: delivery.attempts + 1 } },
    );
  }
}

import { systemContext } from "../commands/context.js";
import { effectsDone, transition } from "../db/history.js";
import type { Effect, HistoryEvent } from "../db/historyModels.js";
import type { RecordBase } from "../db/recordBase.js";
import { QopsError } from "../errors.js";
import type { Logger } from "../logger.js";
import { cancelDeliveries, enqueueDeliveries, type NewDelivery } from "../outbox/enqueue.js";
import { postUpdateEffect } from "./notify.js";

/**
 * Carries out what a change causes (see Effect). Each effect type has one handler, registered by
 * the kind it belongs to; every handler is safe to run twice, because after a crash the repair
 * runs a change's effects again from its event.
 */
export type EffectHandler = (effect: Effect, event: HistoryEvent) => Promise<void>;

const handlers = new Map<string, EffectHandler>();
let logger: Logger | undefined;

export function registerEffect(type: string, handler: EffectHandler): void {
  if (handlers.has(type)) throw new Error(`two handlers for the effect "${type}"`);
  handlers.set(type, handler);
}

export function setEffectsLogger(next: Logger): void {
  logger = next;
}

let clock: () => Date = () => new Date();
/** The process's clock (the composition root's), for when effects carried out late are recorded. */
export function setEffectsClock(next: () => Date): void {
  clock = next;
}
/** When an effect of `event` is carried out: its own time, or now if that is later (a repair). */
export function effectTime(event: Pick<HistoryEvent, "at">): Date {
  return new Date(Math.max(event.at.getTime(), clock().getTime()));
}

registerEffect("deliver", async (effect, event) => {
  const items = (effect.items as (NewDelivery & { notBefore: Date | string })[]).map((d) => ({
    ...d,
    notBefore: new Date(d.notBefore),
  }));
  await enqueueDeliveries(items, effectTime(event));
});

/** Adds a reference to a list field of another record (an action linked to its complaint), once. */
registerEffect("link", async (effect, event) => {
  const field = String(effect.field);
  const value = String(effect.value);
  try {
    const linked = await transition<RecordBase & Record<string, unknown>>({
      kind: String(effect.kind),
      recordKey: String(effect.recordKey),
      type: String(effect.event ?? "action_linked"),
      actor: event.actor,
      at: event.at,
      idempotencyKey: `link:${field}:${value}`,
      decide: (record, last) => {
        const list = (record[field] as string[] | undefined) ?? [];
        if (list.includes(value)) throw new QopsError("invalid_transition", "already linked");
        const ctx = systemContext(event.workspaceId, event.at);
        return {
          fields: { [field]: [...list, value] },
          effects: postUpdateEffect(ctx, record, last.seq + 1),
        };
      },
    });
    await applyEffects(linked.event, linked.pendingId);
  } catch (error) {
    // Already linked (a repeated run) is what this effect wants.
    if (!(error instanceof QopsError && error.code === "invalid_transition")) throw error;
  }
});

/** Reminders a change made moot (the person acknowledged, the action is done). */
registerEffect("cancel", async (effect, event) => {
  await cancelDeliveries(
    effect.ids as string[],
    String(effect.reason ?? "no longer needed"),
    event.at,
    logger,
  );
});

/** Runs one effect (an effect that carries out another one, like linking a record it made). */
export async function runEffect(effect: Effect, event: HistoryEvent): Promise<void> {
  const handler = handlers.get(effect.type);
  if (!handler) throw new Error(`no handler for the effect "${effect.type}"`);
  await handler(effect, event);
}

/**
 * Runs a committed change's effects in order, then clears its pending entry. A failure is
 * logged and leaves the entry, so the repair job runs them again; the change itself stands.
 */
export async function applyEffects(event: HistoryEvent, pendingId: string | null): Promise<boolean> {
  try {
    for (const effect of event.effects ?? []) await runEffect(effect, event);
    if (pendingId) await effectsDone(pendingId);
    return true;
  } catch (error) {
    logger?.error(
      { err: error, event: event._id, effects: (event.effects ?? []).map((e) => e.type) },
      "follow-ups of a change failed; the repair job completes them",
    );
    return false;
  }
}

import { z } from "zod";
import { QopsError } from "../../errors.js";
import { type QualityObjective, QualityObjectiveModel } from "../../models/controlledDocument.js";
import type { PersonRef } from "../../models/recordBase.js";
import type { CommandContext } from "../context.js";
import { createReferenced } from "../createReferenced.js";
import { runUpdate } from "../lifecycle.js";
import { ensureMember, requireRole, requireWorkspace } from "../members.js";
import { parseForm } from "../validation.js";

export const objectiveInput = z.object({
  name: z
    .string()
    .trim()
    .min(3, "Name the objective (3 to 150 characters).")
    .max(150, "At most 150 characters."),
  target: z.coerce
    .number({ message: "The target must be a number." })
    .refine(Number.isFinite, "The target must be a number."),
  unit: z.string().trim().max(30, "At most 30 characters.").default(""),
  direction: z.enum(["at_least", "at_most"], {
    message: "Say whether the value should be at least or at most the target.",
  }),
  frequency: z.enum(["monthly", "quarterly"], { message: "Choose monthly or quarterly." }),
});
export type ObjectiveInput = z.input<typeof objectiveInput>;

/** A QM sets a measurable quality objective (ISO 9001 6.2) with its owner. */
export async function addObjective(
  ctx: CommandContext,
  input: ObjectiveInput | Record<string, unknown>,
  owner: PersonRef | null,
): Promise<{ objective: QualityObjective; created: boolean }> {
  const fields = parseForm(objectiveInput, input, "objective");
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "set quality objectives");
  if (!owner) throw new QopsError("invalid_input", "Name the objective's owner (mention them).");
  await ensureMember(ctx);
  const { record, created } = await createReferenced<QualityObjective>(ctx, "objective", {
    ...fields,
    state: "active",
    owner,
    readings: [],
  });
  return { objective: record, created };
}

/** The period a reading is for: `2026-11` (monthly) or `2026-Q4` (quarterly), in UTC. */
export function periodOf(frequency: "monthly" | "quarterly", at: Date): string {
  const year = at.getUTCFullYear();
  if (frequency === "monthly") return `${year}-${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
  return `${year}-Q${Math.floor(at.getUTCMonth() / 3) + 1}`;
}

/** The previous period: the one whose value the owner is asked for. */
export function previousPeriod(frequency: "monthly" | "quarterly", at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - (frequency === "monthly" ? 1 : 3), 15));
  return periodOf(frequency, d);
}

/** The owner (or a QM) records the value for a period; a period recorded again is corrected, with history. */
export async function recordReading(
  ctx: CommandContext,
  ref: string,
  valueText: string | undefined,
  period?: string,
) {
  const value = Number((valueText ?? "").replace(",", "."));
  if (!valueText?.trim() || !Number.isFinite(value))
    throw new QopsError("invalid_input", "Give the value as a number, e.g. 97.5.", {
      fieldErrors: { value: "Give a number." },
    });
  return runUpdate<QualityObjective & { owner: PersonRef }>(ctx, "objective", ref, {
    type: "value_recorded",
    allowedIn: ["active"],
    who: "owner_or_qm",
    action: "record this objective's value",
    fields: (o) => {
      const p = period?.trim() || previousPeriod(o.frequency, ctx.now);
      if (!/^\d{4}-(\d{2}|Q[1-4])$/.test(p))
        throw new QopsError("invalid_input", "The period looks like 2026-11 or 2026-Q4.");
      const readings = [
        ...o.readings.filter((r) => r.period !== p),
        { period: p, value, recordedAt: ctx.now },
      ].sort((a, b) => a.period.localeCompare(b.period));
      return { readings };
    },
  });
}

export interface ObjectiveStanding {
  latest: number | null;
  period: string | null;
  met: boolean | null;
  /** Change from the reading before the latest: positive is up. */
  trend: number | null;
}

export function objectiveStanding(
  o: Pick<QualityObjective, "readings" | "target" | "direction">,
): ObjectiveStanding {
  const sorted = [...o.readings].sort((a, b) => a.period.localeCompare(b.period));
  const last = sorted[sorted.length - 1];
  const before = sorted[sorted.length - 2];
  if (!last) return { latest: null, period: null, met: null, trend: null };
  return {
    latest: last.value,
    period: last.period,
    met: o.direction === "at_least" ? last.value >= o.target : last.value <= o.target,
    trend: before ? last.value - before.value : null,
  };
}

export async function listObjectives(
  ctx: CommandContext,
): Promise<(QualityObjective & { standing: ObjectiveStanding })[]> {
  await requireWorkspace(ctx);
  const objectives = await QualityObjectiveModel.find({ workspaceId: ctx.workspaceId, state: "active" })
    .sort({ ref: 1 })
    .lean();
  return objectives.map((o) => ({ ...o, standing: objectiveStanding(o) }));
}

/** "96.5%", "620 ppm": a unit of letters gets a space. */
export function withUnit(value: number | string, unit: string): string {
  return /^[A-Za-z]/.test(unit) ? `${value} ${unit}` : `${value}${unit}`;
}

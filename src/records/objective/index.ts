import { Schema } from "mongoose";
import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import type { NewDelivery } from "../../outbox/enqueue.js";
import { dayOf } from "../../time/zone.js";
import { buttons, context, heading, list, message, withNotice } from "../../views/build.js";
import { at, cmd, person, type Rich, rich, strong } from "../../views/rich.js";
import type { Answer } from "../../views/types.js";
import { parseForm } from "../common.js";
import type { Action, RecordKindDef, Viewer } from "../kind.js";
import {
  buttonId,
  buttonsFor,
  createReferenced,
  pressed,
  runTransition,
  type TransitionSpec,
  typedReply,
} from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { showAnswer, viewerFor } from "../registers.js";
import { head, isPerson, wordsOf } from "../tokens.js";
import { requireRole, requireWorkspace, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";

export interface Reading {
  period: string;
  value: number;
  recordedAt: Date;
  recordedBy?: PersonRef;
}

export interface QualityObjective extends RecordBase {
  state: "active" | "retired";
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  name: string;
  target: number;
  unit: string;
  direction: "at_least" | "at_most";
  owner: PersonRef;
  frequency: "monthly" | "quarterly";
  readings: Reading[];
}

const person_ = { type: { id: String, name: String }, _id: false };
const objectiveSchema = new Schema<QualityObjective>(
  {
    ...recordBaseFields,
    state: { type: String, enum: ["active", "retired"], required: true },
    stateChangedBy: { ...person_, required: true },
    stateChangedAt: { type: Date, required: true },
    name: { type: String, required: true },
    target: { type: Number, required: true },
    unit: { type: String, default: "" },
    direction: { type: String, enum: ["at_least", "at_most"], required: true },
    owner: { ...person_, required: true },
    frequency: { type: String, enum: ["monthly", "quarterly"], required: true },
    readings: {
      type: [
        {
          period: String,
          value: Number,
          recordedAt: Date,
          recordedBy: { ...person_, default: undefined },
          _id: false,
        },
      ],
      default: [],
    },
  },
  { ...recordSchemaOptions, collection: "quality_objectives" },
);
objectiveSchema.index({ workspaceId: 1, state: 1 });

export const QualityObjectiveModel = defineRecordModel<QualityObjective>(
  "objective",
  "QualityObjective",
  objectiveSchema,
);

const objectiveInput = z.object({
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
    message: "Say whether the value should be at_least or at_most the target.",
  }),
  frequency: z.enum(["monthly", "quarterly"], { message: "Choose monthly or quarterly." }),
});

/** The period of a day: `2026-11` (monthly) or `2026-Q4` (quarterly). */
export function periodOf(frequency: "monthly" | "quarterly", day: string): string {
  const [year, month] = day.split("-").map(Number) as [number, number];
  return frequency === "monthly" ? day.slice(0, 7) : `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
}

/** The period before the one a day is in: the one whose value the owner is asked for. */
export function previousPeriod(frequency: "monthly" | "quarterly", day: string): string {
  const [year, month] = day.split("-").map(Number) as [number, number];
  const back = frequency === "monthly" ? 1 : 3;
  const m = month - back;
  const d =
    m >= 1 ? `${year}-${String(m).padStart(2, "0")}-15` : `${year - 1}-${String(m + 12).padStart(2, "0")}-15`;
  return periodOf(frequency, d);
}

export interface ObjectiveStanding {
  latest: number | null;
  period: string | null;
  met: boolean | null;
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

/** "96.5%", "620 ppm": a unit of letters gets a space. */
export function withUnit(value: number | string, unit: string): string {
  return /^[A-Za-z]/.test(unit) ? `${value} ${unit}` : `${value}${unit}`;
}

export function objectiveLine(o: QualityObjective): Rich {
  const s = objectiveStanding(o);
  const target = `${o.direction === "at_least" ? "≥" : "≤"} ${withUnit(o.target, o.unit)}`;
  const trend = s.trend === null ? "" : s.trend > 0 ? " ↑" : s.trend < 0 ? " ↓" : " →";
  return rich`${strong(o.ref)} · ${o.name}: ${s.latest === null ? "no value yet" : `${withUnit(s.latest, o.unit)} (${s.period})${trend}`} · target ${target} · ${s.met === null ? "not measured" : s.met ? "✅ on target" : "⚠️ off target"} · ${o.frequency} · owner ${person(o.owner)}`;
}

const record: TransitionSpec<QualityObjective & { owner: PersonRef }, { value: number; period: string }> = {
  id: "record",
  event: "value_recorded",
  from: ["active"],
  who: "owner_or_qm",
  label: "Record value",
  style: "primary",
  done: "given a value",
  action: "record this objective's value",
  input: () => [
    { type: "text", id: "value", label: "Value", max: 30 },
    {
      type: "text",
      id: "period",
      label: "Period (default: the last one), e.g. 2026-11 or 2026-Q4",
      max: 10,
      optional: true,
    },
  ],
  parse: (inputs, o, ctx, workspace) => {
    const valueText = String(inputs.value ?? "").trim();
    const value = Number(valueText.replace(",", "."));
    if (!valueText || !Number.isFinite(value))
      throw new QopsError("invalid_input", "Give the value as a number, e.g. 97.5. Nothing was recorded.", {
        fieldErrors: { value: "Give a number, e.g. 97.5." },
      });
    const period =
      String(inputs.period ?? "").trim() || previousPeriod(o.frequency, dayOf(ctx.now, zoneOf(workspace)));
    const pattern = o.frequency === "monthly" ? /^\d{4}-(0[1-9]|1[0-2])$/ : /^\d{4}-Q[1-4]$/;
    if (!pattern.test(period))
      throw new QopsError(
        "invalid_input",
        `The period of a ${o.frequency} objective looks like ${o.frequency === "monthly" ? "2026-11" : "2026-Q4"}. Nothing was recorded.`,
        { fieldErrors: { period: o.frequency === "monthly" ? "Like 2026-11." : "Like 2026-Q4." } },
      );
    return { value, period };
  },
  // A second value for a period corrects the first: both stay in the history, and the answer names it.
  apply: (o, p, ctx) => ({
    readings: [
      ...o.readings.filter((r) => r.period !== p.period),
      { period: p.period, value: p.value, recordedAt: ctx.now, recordedBy: ctx.actor },
    ].sort((a, b) => a.period.localeCompare(b.period)),
  }),
  reason: (p) => `value for ${p.period}`,
};

function answerText(
  before: QualityObjective,
  after: QualityObjective,
  p: { period: string },
  ctx: CommandContext,
): Rich {
  const s = objectiveStanding(after);
  const old = before.readings.find((r) => r.period === p.period);
  const reading = after.readings.find((r) => r.period === p.period);
  return rich`✅ ${after.name}: ${withUnit(reading?.value ?? "", after.unit)} recorded for ${p.period} by ${ctx.actor.name} — ${s.met ? "on target" : "off target"}.${old ? [` It replaced ${withUnit(old.value, after.unit)} (recorded${old.recordedBy ? ` by ${old.recordedBy.name}` : ""} on `, at(old.recordedAt), ")."] : ""}`;
}

async function objectiveCard(ctx: CommandContext, o: QualityObjective, viewer: Viewer) {
  return {
    ...message(objectiveLine(o), [
      heading(rich`${o.ref} · ${o.name}`),
      { type: "paragraph" as const, text: objectiveLine(o) },
      ...(o.readings.length
        ? [
            list(
              o.readings.map(
                (r) =>
                  rich`${r.period}: ${withUnit(r.value, o.unit)}${r.recordedBy ? ` (${r.recordedBy.name})` : ""}`,
              ),
            ),
          ]
        : [context("No values yet.")]),
      ...buttons(buttonsFor(ctx, objectiveKind, [record], o, viewer)),
    ]),
    refresh: { ws: o.workspaceId, ref: o.ref ?? "" },
  };
}

const objectivesUsage = (): Rich[] => [
  rich`${cmd("qms objectives")} — quality objectives with their latest value, target and trend (ISO 9001 6.2)`,
  rich`${cmd("qms objectives add at_least|at_most TARGET UNIT monthly|quarterly @owner NAME")} — set one (QM), e.g. add at_least 98 % monthly @Omar On-time delivery (use - for no unit)`,
  rich`${cmd("qms objectives OBJ-2026-0001 record VALUE [PERIOD]")} — the owner records a value (PERIOD like 2026-11 or 2026-Q4; default the last period)`,
];

async function addObjective(
  ctx: CommandContext,
  rest: ReturnType<typeof head>[1],
  direction: string,
): Promise<Answer> {
  await requireRole(ctx, "qm", "set quality objectives");
  const [target, unit, frequency, ...name] = wordsOf(rest);
  const owner = rest.filter(isPerson)[0]?.person;
  const fields = parseForm(
    objectiveInput,
    { direction, target, unit: unit === "-" ? "" : unit, frequency, name: name.join(" ") },
    "objective",
  );
  if (!owner)
    throw new QopsError("invalid_input", "Name the objective's owner (mention them). Nothing was saved.");
  await ensureMember(ctx);
  const { record: o, created } = await createReferenced<QualityObjective>(ctx, objectiveKind, {
    ...fields,
    state: "active",
    owner,
    readings: [],
  });
  const workspace = await requireWorkspace(ctx);
  return {
    kind: "reply",
    view: withNotice(
      await objectiveCard(ctx, o, viewerFor(ctx, workspace)),
      created
        ? rich`✅ Objective ${o.ref} set by ${ctx.actor.name}; ${o.owner.name} will be asked for its value each ${o.frequency === "monthly" ? "month" : "quarter"}.`
        : rich`Already set as ${o.ref}.`,
    ),
  };
}

async function objectiveRequests(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const today = dayOf(now, zoneOf(workspace));
  const objectives = (await QualityObjectiveModel.find({
    workspaceId: workspace.workspaceId,
    state: "active",
  }).lean()) as QualityObjective[];
  const items: NewDelivery[] = [];
  for (const o of objectives) {
    const period = previousPeriod(o.frequency, today);
    // Ask from the start of the period after it, once, and only for periods since it was set.
    if (
      o.readings.some((r) => r.period === period) ||
      periodOf(o.frequency, dayOf(o.createdAt, zoneOf(workspace))) > period
    )
      continue;
    const text = rich`Please record ${o.name} for ${period} (target ${o.direction === "at_least" ? "at least" : "at most"} ${withUnit(o.target, o.unit)}).`;
    const ctx = { workspaceId: workspace.workspaceId } as CommandContext;
    items.push({
      workspaceId: workspace.workspaceId,
      occasion: `objective:${o.ref}:${period}`,
      recipientId: o.owner.id,
      notBefore: now,
      content: {
        view: message(text, [
          heading(`${o.name}: value for ${period}`),
          { type: "paragraph", text },
          ...buttons(buttonsFor(ctx, objectiveKind, [record], o, { userId: o.owner.id, roles: [] })),
        ]),
      },
      recordKey: o._id,
    });
  }
  return items;
}

async function pressRecord(action: Action): Promise<Answer> {
  const result = await runTransition(objectiveKind, record, action, {
    answer: (after, before, parsed, ctx) => answerText(before, after, parsed, ctx),
  });
  if (result.kind !== "done") return result;
  const parsed = { period: result.event.reason?.replace("value for ", "") ?? "" };
  return pressed(objectiveKind, action, result, answerText(result.before, result.record, parsed, action.ctx));
}

export const objectiveKind: RecordKindDef = {
  id: "objective",
  evidence: { clauses: ["4.4", "6.2"], title: "Quality objectives", finished: ["retired"] },
  kind: "objective",
  model: QualityObjectiveModel as never,
  noun: "quality objective",
  plural: "quality objectives",
  prefix: "OBJ",
  refPattern: /^OBJ-\d{4}-\d{4,}$/i,
  command: { name: "objectives", under: "qms" },
  help: [
    {
      usage: "qms objectives [help]",
      text: "quality objectives: latest value against target, and the trend",
    },
    {
      usage: "qms objectives add at_least|at_most TARGET UNIT monthly|quarterly @owner NAME",
      text: "set one (QM)",
    },
    { usage: "qms objectives OBJ-2026-0001 record VALUE [PERIOD]", text: "its owner records a value" },
  ],
  involves: () => true,
  async typed(ctx, args) {
    const [first, rest] = head(args);
    if (!first) {
      const objectives = (
        (await QualityObjectiveModel.find({
          workspaceId: ctx.workspaceId,
          state: "active",
        }).lean()) as QualityObjective[]
      ).sort((a, b) => (a.ref ?? "").localeCompare(b.ref ?? ""));
      return {
        kind: "reply",
        view: message(`${objectives.length} quality objectives`, [
          heading("Quality objectives"),
          list(objectives.length ? objectives.map(objectiveLine) : ["None set yet.", ...objectivesUsage()]),
        ]),
      };
    }
    if (first === "help")
      return {
        kind: "reply",
        view: message("Quality objectives", [heading("Quality objectives"), list(objectivesUsage())]),
      };
    if (first === "add") {
      const [direction, ...after] = rest;
      return addObjective(ctx, after, direction && "word" in direction ? direction.word.toLowerCase() : "");
    }
    const ref = first.toUpperCase();
    if (!objectiveKind.refPattern.test(ref))
      throw new QopsError(
        "invalid_input",
        `"${first.slice(0, 30)}" is not an objective reference. qms objectives help lists the commands.`,
      );
    const ws = wordsOf(rest);
    if ((ws[0] ?? "").toLowerCase() !== "record") return showAnswer(objectiveKind, ctx, ref);
    const action: Action = {
      ctx,
      target: { ws: ctx.workspaceId, ref },
      inputs: { value: ws[1] ?? "", period: ws[2] },
      source: "private",
      submitted: true,
      typed: true,
    };
    return typedReply(await pressRecord(action));
  },
  actions: { [buttonId({ id: "objective" }, record)]: pressRecord },
  card: (ctx, o, viewer) => objectiveCard(ctx, o as QualityObjective, viewer),
  reminders: objectiveRequests,
};

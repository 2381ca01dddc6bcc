import type { Model } from "mongoose";
import { systemContext } from "../commands/context.js";
import { findByIds } from "../db/read.js";
import type { RecordBase } from "../db/recordBase.js";
import { readSnapshot, SNAPSHOT_KINDS } from "../db/snapshots.js";
import { type CorrectiveAction, CorrectiveActionModel, OPEN_ACTION_STATES } from "../records/action/model.js";
import { programmeStatus } from "../records/audit/programme.js";
import {
  type Complaint,
  ComplaintModel,
  OPEN_COMPLAINT_STATES,
  SEVERITIES,
} from "../records/complaint/model.js";
import { type ControlledDocument, ControlledDocumentModel } from "../records/document/model.js";
import { IDEA_STATES, type ImprovementIdea, ImprovementIdeaModel } from "../records/idea/model.js";
import type { RecordKindDef } from "../records/kind.js";
import { type QualityObjective, QualityObjectiveModel } from "../records/objective/index.js";
import { statusOf } from "../records/policy/status.js";
import { zoneOf } from "../records/workspace/access.js";
import type { Workspace } from "../records/workspace/model.js";
import { addMonths, dayOf, startOfDay } from "../time/zone.js";

/** A chart's numbers: one row per category, one column per series (the table under the chart). */
export interface Figure {
  id: string;
  title: string;
  kind: "bar" | "line";
  categories: string[];
  series: { name: string; values: number[] }[];
  /** One sentence a reader (or a screen reader) takes away. */
  summary: string;
}

/**
 * The few fields the charts need of every record of a kind. On the embedded engine, which reads
 * whole collections for any query but by `_id`, kept as a snapshot patched with the records
 * that changed since (as the registers are); on MongoDB a query on its index.
 */
function figuresOf<T extends RecordBase>(
  model: Model<T>,
  kind: string,
  workspaceId: string,
  fields: string,
  name = "dashboard",
): Promise<T[]> {
  const wanted = `${fields} workspaceId`;
  const projection = Object.fromEntries(wanted.split(" ").map((f) => [f, 1 as const]));
  return readSnapshot<T>(
    workspaceId,
    kind,
    name,
    async () => (await model.find({ workspaceId }, wanted).lean()) as T[],
    {
      read: (keys) => findByIds(model, keys, projection) as Promise<(T | null)[]>,
      keeps: (r) => r.workspaceId === workspaceId,
    },
  );
}

/** What a register line shows of a record (its title under whichever name the kind gives it). */
const LINE_FIELDS = "ref state title what problem name process summary documentType createdAt updatedAt";

/**
 * A kind's register lines for the dashboard: a patched snapshot where the kind keeps a change
 * log (complaints, actions, ideas, audits, nonconforming outputs), else a query of those fields.
 */
export function registerLines(def: RecordKindDef, workspaceId: string): Promise<RecordBase[]> {
  if (SNAPSHOT_KINDS.has(def.kind))
    return figuresOf(def.model, def.kind, workspaceId, LINE_FIELDS, "dashboard-register");
  return def.model.find({ workspaceId }, `${LINE_FIELDS} workspaceId`).lean() as Promise<RecordBase[]>;
}

const count = <T>(items: T[], key: (t: T) => string, keys: readonly string[]) =>
  keys.map((k) => items.filter((t) => key(t) === k).length);

/** Least-squares slope per month of a series, as words. */
export function trendWords(values: number[]): string {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const xm = (n - 1) / 2;
  let num = 0;
  let den = 0;
  values.forEach((v, i) => {
    num += (i - xm) * (v - mean);
    den += (i - xm) ** 2;
  });
  const slope = den ? num / den : 0;
  if (Math.abs(slope) < 0.05) return "flat";
  return `${slope > 0 ? "rising" : "falling"} by ${Math.abs(slope).toFixed(1)} a month`;
}

/** The overview's figures for a workspace, as of `now` in its zone. */
export async function overviewFigures(workspace: Workspace, now: Date): Promise<Figure[]> {
  const ws = { workspaceId: workspace.workspaceId };
  const zone = zoneOf(workspace);
  const today = dayOf(now, zone);
  const [complaints, actions, ideas, objectives, policies] = await Promise.all([
    figuresOf<Complaint>(
      ComplaintModel as never,
      "complaint",
      workspace.workspaceId,
      "state severity createdAt",
    ),
    figuresOf<CorrectiveAction>(
      CorrectiveActionModel as never,
      "action",
      workspace.workspaceId,
      "state createdAt dueAt",
    ),
    figuresOf<ImprovementIdea>(ImprovementIdeaModel as never, "idea", workspace.workspaceId, "state"),
    QualityObjectiveModel.find({ ...ws, state: "active" }).lean() as Promise<QualityObjective[]>,
    ControlledDocumentModel.find({ ...ws, documentType: "policy" }).lean() as Promise<ControlledDocument[]>,
  ]);
  const open = complaints.filter((c) => OPEN_COMPLAINT_STATES.includes(c.state));
  const months = Array.from({ length: 12 }, (_, i) => addMonths(today, i - 11).slice(0, 7));
  // Each month's first instant in the workspace's zone; a complaint falls in the last one it is not before.
  const starts = months.map((m) => startOfDay(`${m}-01`, zone).getTime());
  const end = startOfDay(addMonths(`${months.at(-1)}-01`, 1), zone).getTime();
  const perMonth = months.map(() => 0);
  for (const c of complaints) {
    const t = new Date(c.createdAt).getTime();
    if (t >= end || t < (starts[0] ?? 0)) continue;
    let i = starts.length - 1;
    while (i > 0 && t < (starts[i] ?? 0)) i--;
    perMonth[i] = (perMonth[i] ?? 0) + 1;
  }
  const openActions = actions.filter((a) => OPEN_ACTION_STATES.includes(a.state));
  const ages = ["0–30 days", "31–60 days", "61–90 days", "over 90 days"];
  const ageOf = (a: CorrectiveAction) => {
    const days = (now.getTime() - new Date(a.createdAt).getTime()) / 86_400_000;
    return ages[days <= 30 ? 0 : days <= 60 ? 1 : days <= 90 ? 2 : 3] ?? "";
  };
  const overdue = openActions.filter((a) => new Date(a.dueAt) < now);
  const year = Number(today.slice(0, 4));
  const programme = await programmeStatus(systemContext(workspace.workspaceId, now), year);
  const versions = policies
    .filter((p) => p.state === "published" || p.state === "superseded")
    .sort((a, b) => String(a.ref).localeCompare(String(b.ref), "en", { numeric: true }));
  const rates = await Promise.all(versions.map((p) => statusOf(workspace, p)));
  const figures: Figure[] = [
    {
      id: "open-by-severity",
      title: "Open complaints by severity",
      kind: "bar",
      categories: [...SEVERITIES],
      series: [{ name: "open complaints", values: count(open, (c) => c.severity, SEVERITIES) }],
      summary: `${open.length} open complaint${open.length === 1 ? "" : "s"}.`,
    },
    {
      id: "complaints-per-month",
      title: "Complaints per month (12 months)",
      kind: "line",
      categories: months,
      series: [{ name: "complaints logged", values: perMonth }],
      summary: `${perMonth.reduce((a, b) => a + b, 0)} in 12 months; trend ${trendWords(perMonth)}.`,
    },
    {
      id: "capa-ageing",
      title: "Open corrective actions by age",
      kind: "bar",
      categories: ages,
      series: [
        { name: "open", values: count(openActions, ageOf, ages) },
        { name: "overdue", values: count(overdue, ageOf, ages) },
      ],
      summary: `${openActions.length} open corrective action${openActions.length === 1 ? "" : "s"}, ${overdue.length} overdue.`,
    },
    {
      id: "audit-programme",
      title: `Audit programme ${year}: planned vs done`,
      kind: "bar",
      categories: programme.rows.map((r) => r.process),
      series: [
        { name: "planned", values: programme.rows.map((r) => r.planned) },
        { name: "done", values: programme.rows.map((r) => r.done) },
      ],
      summary: `${programme.rows.reduce((n, r) => n + r.done, 0)} of ${programme.rows.reduce((n, r) => n + r.planned, 0)} planned audits done in ${year}.`,
    },
    {
      id: "policy-acknowledgement",
      title: "Policy acknowledgement rate per version (%)",
      kind: "bar",
      categories: versions.map((p) => p.ref ?? ""),
      series: [{ name: "acknowledged %", values: rates.map((r) => Math.round(r.rate * 100)) }],
      summary: rates.length
        ? rates.map((r) => `${r.policy.ref}: ${r.acknowledged} of ${r.members}`).join("; ")
        : "No policy published yet.",
    },
    {
      id: "ideas-by-state",
      title: "Improvement ideas by state",
      kind: "bar",
      categories: [...IDEA_STATES],
      series: [{ name: "ideas", values: count(ideas, (i) => i.state, IDEA_STATES) }],
      summary: `${ideas.length} idea${ideas.length === 1 ? "" : "s"} in all.`,
    },
  ];
  for (const o of objectives.slice(0, 6)) {
    const readings = [...o.readings].sort((a, b) => a.period.localeCompare(b.period));
    figures.push({
      id: `objective-${o.ref}`,
      title: `${o.ref} ${o.name} against its target (${o.direction === "at_least" ? "at least" : "at most"} ${o.target} ${o.unit})`,
      kind: "line",
      categories: readings.map((r) => r.period),
      series: [
        { name: o.unit || "value", values: readings.map((r) => r.value) },
        { name: "target", values: readings.map(() => o.target) },
      ],
      summary: readings.length
        ? `Latest ${readings.at(-1)?.value} ${o.unit} for ${readings.at(-1)?.period}.`
        : "No readings yet.",
    });
  }
  return figures;
}

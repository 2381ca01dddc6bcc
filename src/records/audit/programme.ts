import type { CommandContext } from "../../commands/context.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { dayOf, daysBetween, startOfDay } from "../../time/zone.js";
import { today } from "../common.js";
import type { RecordKindDef } from "../kind.js";
import { createReferenced } from "../lifecycle.js";
import { requireRole, requireWorkspace, zoneOf } from "../workspace/access.js";
import { changeWorkspace } from "../workspace/commands.js";
import type { Workspace } from "../workspace/model.js";
import { type InternalAudit, InternalAuditModel } from "./model.js";

/** A QM sets how often a process is audited per year (0 removes it) and who owns it. */
export function setProgrammeEntry(
  ctx: CommandContext,
  process: string,
  perYear: number,
  owner: PersonRef | null,
) {
  const name = process.trim();
  if (name.length < 2 || name.length > 150)
    throw new QopsError("invalid_input", "Name the process (2 to 150 characters). Nothing was changed.");
  if (!Number.isInteger(perYear) || perYear < 0 || perYear > 12)
    throw new QopsError(
      "invalid_input",
      "Say how many audits a year, 0 to 12 (0 takes the process out of the programme). Nothing was changed.",
    );
  return changeWorkspace(ctx, "audit_programme_changed", "change the audit programme", (w) => {
    const same = (p: { process: string }) => p.process.toLowerCase() === name.toLowerCase();
    const others = (w.auditProgramme ?? []).filter((p) => !same(p));
    const previous = (w.auditProgramme ?? []).find(same);
    return {
      auditProgramme:
        perYear === 0
          ? others
          : [...others, { process: name, perYear, owner: owner ?? previous?.owner ?? null }],
    };
  });
}

/** Planned days for `perYear` audits in a year: evenly spread, mid-month. */
export function plannedDays(year: number, perYear: number): string[] {
  return Array.from({ length: perYear }, (_, k) => {
    const month = Math.floor((12 * (k + 0.5)) / perYear) + 1;
    return `${year}-${String(month).padStart(2, "0")}-15`;
  });
}

export const doneStates = ["reported", "closed"];

/**
 * Creates the year's planned audits from the programme: one per process and slot, never twice
 * (each slot is the creation's key). Audits of the process already held or scheduled that year
 * count against its slots, so generating does not plan an audit that was done.
 */
export async function generateProgramme(def: RecordKindDef, ctx: CommandContext, year: number) {
  const workspace = await requireRole(ctx, "qm", "generate the audit programme");
  if (!Number.isInteger(year) || year < 2000 || year > 2100)
    throw new QopsError("invalid_input", "Give a year, e.g. 2027.");
  if (!workspace.auditProgramme?.length)
    throw new QopsError(
      "invalid_input",
      "The programme is empty: add processes first, e.g. audit programme set Purchasing 2.",
    );
  const ofYear = await auditsOfYear(ctx.workspaceId, year, workspace);
  const created: InternalAudit[] = [];
  let existing = 0;
  for (const entry of workspace.auditProgramme) {
    const already = ofYear.filter(
      (a) => a.process.toLowerCase() === entry.process.toLowerCase() && !a.programmeSlot,
    ).length;
    for (const [k, plannedDay] of plannedDays(year, entry.perYear).entries()) {
      if (k < already) {
        existing++;
        continue;
      }
      const slot = `${year}:${entry.process}:${k + 1}`;
      const result = await createReferenced<InternalAudit>(
        ctx,
        def,
        {
          state: "planned",
          owner: null,
          programmeSlot: slot,
          process: entry.process,
          clauses: [],
          leadAuditor: null,
          auditees: entry.owner ? [entry.owner] : [],
          day: plannedDay,
          scheduledFor: startOfDay(plannedDay, zoneOf(workspace)),
          checklist: [],
          findings: [],
          reportedAt: null,
        },
        { idempotencyKey: `programme:${slot}`, year },
      );
      if (result.created) created.push(result.record);
      else existing++;
    }
  }
  return { created, existing };
}

/** The day of an audit (stored, or for older records the day it starts in the workspace's zone). */
export const auditDay = (a: InternalAudit, workspace: Workspace): string | null =>
  a.day ?? (a.scheduledFor ? dayOf(a.scheduledFor, zoneOf(workspace)) : null);

export async function auditsOfYear(
  workspaceId: string,
  year: number,
  workspace: Workspace,
): Promise<InternalAudit[]> {
  const audits = (await InternalAuditModel.find({ workspaceId }).lean()) as InternalAudit[];
  return audits.filter((a) => auditDay(a, workspace)?.startsWith(`${year}-`));
}

export interface ProgrammeRow {
  process: string;
  perYear: number;
  owner: PersonRef | null;
  planned: number;
  done: number;
  late: InternalAudit[];
  next: InternalAudit | null;
}

/** Planned versus done per process for a year, and what is late. */
export async function programmeStatus(
  ctx: CommandContext,
  year: number,
): Promise<{ year: number; rows: ProgrammeRow[] }> {
  const workspace = await requireWorkspace(ctx);
  const now = today(ctx, workspace);
  const audits = await auditsOfYear(ctx.workspaceId, year, workspace);
  const processes = new Map<string, { process: string; perYear: number; owner: PersonRef | null }>();
  for (const p of workspace.auditProgramme ?? []) processes.set(p.process.toLowerCase(), p);
  for (const a of audits)
    if (!processes.has(a.process.toLowerCase()))
      processes.set(a.process.toLowerCase(), { process: a.process, perYear: 0, owner: null });
  const rows = [...processes.values()].map((entry) => {
    const mine = audits.filter((a) => a.process.toLowerCase() === entry.process.toLowerCase());
    const done = mine.filter((a) => doneStates.includes(a.state));
    const dayOfAudit = (a: InternalAudit) => auditDay(a, workspace) ?? "";
    const late = mine.filter(
      (a) => !doneStates.includes(a.state) && dayOfAudit(a) && daysBetween(dayOfAudit(a), now) >= 1,
    );
    const upcoming = mine
      .filter((a) => !doneStates.includes(a.state) && dayOfAudit(a) >= now)
      .sort((a, b) => dayOfAudit(a).localeCompare(dayOfAudit(b)));
    return {
      process: entry.process,
      perYear: entry.perYear,
      owner: entry.owner,
      planned: Math.max(entry.perYear, mine.length),
      done: done.length,
      late,
      next: upcoming[0] ?? null,
    };
  });
  return { year, rows: rows.sort((a, b) => a.process.localeCompare(b.process)) };
}

/** Refuses moving a programme audit out of its year without saying so. */
export function checkProgrammeYear(a: InternalAudit, when: string): void {
  const slotYear = a.programmeSlot?.split(":")[0];
  if (slotYear && !when.startsWith(slotYear))
    throw new QopsError(
      "invalid_input",
      `${a.ref} is in the ${slotYear} audit programme; schedule it within ${slotYear}, or take it out of that year's programme first. Nothing was changed.`,
    );
}

import type { CommandContext } from "../../commands/context.js";
import { QopsError } from "../../errors.js";
import { heading, list, message, paragraph } from "../../views/build.js";
import { cmd, day, person, rich } from "../../views/rich.js";
import type { Answer } from "../../views/types.js";
import { today } from "../common.js";
import type { RecordKindDef } from "../kind.js";
import { head, peopleOf, wordsOf } from "../tokens.js";
import { requireWorkspace } from "../workspace/access.js";
import { generateProgramme, programmeStatus, setProgrammeEntry } from "./programme.js";

/** `audit programme [YEAR]`, `… set PROCESS N [@owner]`, `… generate [YEAR]`. */
export async function programme(
  def: RecordKindDef,
  ctx: CommandContext,
  args: Parameters<typeof head>[0],
): Promise<Answer> {
  const [first, rest] = head(args);
  const workspace = await requireWorkspace(ctx);
  const thisYear = Number(today(ctx, workspace).slice(0, 4));
  if (first === "set") {
    const owner = peopleOf(rest)[0] ?? null;
    const ws = wordsOf(rest);
    const times = ws.length ? Number(ws[ws.length - 1]) : Number.NaN;
    const process = ws.slice(0, -1).join(" ").replace(/^"|"$/g, "");
    if (!process || !Number.isInteger(times))
      throw new QopsError(
        "invalid_input",
        "Use audit programme set PROCESS TIMES_PER_YEAR [@owner], e.g. audit programme set Purchasing 2 @Omar.",
      );
    const { record } = await setProgrammeEntry(ctx, process, times, owner);
    const text =
      times === 0
        ? rich`✅ ${process} is out of the audit programme (changed by ${ctx.actor.name}).`
        : rich`✅ ${process} is audited ${times === 1 ? "once" : `${times} times`} a year (set by ${ctx.actor.name}).`;
    return {
      kind: "reply",
      view: message(text, [
        paragraph(text),
        heading("Audit programme"),
        list(
          record.auditProgramme.map(
            (p) => rich`${p.process}: ${p.perYear}× a year${p.owner ? [", owner ", person(p.owner)] : ""}`,
          ),
        ),
      ]),
    };
  }
  if (first === "generate") {
    const year = wordsOf(rest)[0] ? Number(wordsOf(rest)[0]) : thisYear;
    const { created, existing } = await generateProgramme(def, ctx, year);
    const text = rich`✅ ${created.length} planned audit${created.length === 1 ? "" : "s"} created for ${year} by ${ctx.actor.name}${existing ? ` (${existing} already planned or held)` : ""}. Staff each with ${cmd("audit AUD-… schedule @auditor DATE")}.`;
    return {
      kind: "reply",
      view: message(text, [
        paragraph(text),
        ...(created.length
          ? [list(created.map((a) => rich`${a.ref} · ${a.process} · planned ${day(a.day ?? "")}`))]
          : []),
      ]),
    };
  }
  const year = first ? Number(first) : thisYear;
  if (!Number.isInteger(year))
    throw new QopsError(
      "invalid_input",
      "Use audit programme [YEAR], audit programme set … or audit programme generate [YEAR].",
    );
  const status = await programmeStatus(ctx, year);
  const planned = status.rows.reduce((n, r) => n + r.planned, 0);
  const done = status.rows.reduce((n, r) => n + r.done, 0);
  const late = status.rows.flatMap((r) => r.late);
  const text = rich`Audit programme ${year}: ${done} of ${planned} audits done${late.length ? `, ${late.length} late` : ""}.`;
  return {
    kind: "reply",
    view: message(text, [
      heading(`Audit programme ${year}`),
      paragraph(text),
      list(
        status.rows.length
          ? status.rows.map(
              (r) =>
                rich`${r.process}: ${r.done} of ${r.planned} done (${r.perYear}× a year${r.owner ? `, owner ${r.owner.name}` : ""})${r.late.length ? ` — late: ${r.late.map((a) => a.ref).join(", ")}` : ""}${r.next ? [` — next ${r.next.ref} on `, day(r.next.day ?? "")] : ""}`,
            )
          : [
              rich`The programme is empty. Add processes with ${cmd("audit programme set PROCESS TIMES_PER_YEAR [@owner]")}.`,
            ],
      ),
    ]),
  };
}

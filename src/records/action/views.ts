import type { CommandContext } from "../../commands/context.js";
import { words } from "../../commands/context.js";
import { buttons, context, fields, heading, message, paragraph } from "../../views/build.js";
import { day, person, type Rich, rich, strong } from "../../views/rich.js";
import type { Block, MessageView } from "../../views/types.js";
import { dueDayOf } from "../common.js";
import { stateLine } from "../complaint/views.js";
import type { RecordKindDef, Viewer } from "../kind.js";
import { buttonsFor } from "../lifecycle.js";
import { requireWorkspace } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { ACTION_TRANSITIONS } from "./lifecycle.js";
import { type CorrectiveAction, WORKING_ACTION_STATES } from "./model.js";

const isOverdue = (a: CorrectiveAction, now: Date) =>
  a.dueAt < now && WORKING_ACTION_STATES.includes(a.state);

export async function actionCard(
  def: RecordKindDef,
  ctx: CommandContext,
  a: CorrectiveAction,
  viewer: Viewer,
): Promise<MessageView> {
  const workspace = await requireWorkspace(ctx);
  const ref = a.ref ?? "";
  const blocks: Block[] = [
    heading(rich`${ref} · ${a.actionType} action`),
    fields([
      ["Owner", [person(a.owner)]],
      ["Due", rich`${day(dueDayOf(a, workspace))}${isOverdue(a, ctx.now) ? " ⚠️ overdue" : ""}`],
      ["Source", a.sourceRef ?? words(a.source)],
      [
        "Effectiveness check",
        a.effectivenessCheckDay ? [{ day: a.effectivenessCheckDay }] : "after it is done",
      ],
    ]),
    paragraph(`Problem: ${a.problem}`),
  ];
  if (a.containment) blocks.push(paragraph(`Containment: ${a.containment}`));
  if (a.rootCause) blocks.push(paragraph(`Root cause: ${a.rootCause}`));
  if (a.actionTaken) blocks.push(paragraph(`What was done: ${a.actionTaken}`));
  if (a.plan) blocks.push(paragraph(`Plan: ${a.plan}`));
  blocks.push(context(stateLine(a)));
  if (a.state === "reopened" && a.reopenReason)
    blocks.push(paragraph(`Not effective because: ${a.reopenReason}`));
  blocks.push(...buttons(buttonsFor(ctx, def, ACTION_TRANSITIONS, a, viewer)));
  return { ...message(rich`${ref} is ${words(a.state)}`, blocks), refresh: { ws: a.workspaceId, ref } };
}

export function actionLine(a: CorrectiveAction, ctx: CommandContext, workspace: Workspace): Rich {
  return rich`🛠️ ${strong(a.ref)} · ${words(a.state)} · due ${day(dueDayOf(a, workspace))}${isOverdue(a, ctx.now) ? [" ⚠️ ", strong("overdue")] : ""} · ${person(a.owner)} · ${a.problem.slice(0, 80)}`;
}

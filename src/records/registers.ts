import type { CommandContext } from "../commands/context.js";
import { recordHistory } from "../db/history.js";
import type { RecordBase } from "../db/recordBase.js";
import { QopsError } from "../errors.js";
import { context, heading, historyBlocks, list, message } from "../views/build.js";
import { cmd, type Rich, rich } from "../views/rich.js";
import type { Answer } from "../views/types.js";
import type { RecordKindDef, Viewer } from "./kind.js";
import { loadByRef } from "./lifecycle.js";
import { holders, holdersSentence, requireWorkspace, rolesOf } from "./workspace/access.js";
import type { Role, Workspace } from "./workspace/model.js";

/** Register pages stay readable in chat; exports are for everything. */
export const REGISTER_LIMIT = 50;

/** Whether a person sees a kind's whole register (else only the records that involve them). */
export function seesRegister(def: RecordKindDef, workspace: Workspace, userId: string): boolean {
  if (!def.registerRoles) return true;
  const mine = rolesOf(workspace, userId);
  return def.registerRoles.some((r) => mine.includes(r));
}

export function viewerFor(ctx: CommandContext, workspace: Workspace): Viewer {
  return { userId: ctx.actor.id, roles: rolesOf(workspace, ctx.actor.id) };
}

const whoSees = (roles: readonly Role[]) => holdersSentence(roles);

export interface RegisterSpec<R extends RecordBase> {
  filters: readonly string[];
  title: string;
  load(ctx: CommandContext, filter: string, workspace: Workspace): Promise<R[]>;
  line(record: R, ctx: CommandContext, workspace: Workspace): Rich;
  empty: string;
}

/**
 * `<kind> list [filter]`: a page of the register. People whose roles do not see the whole
 * register see the records they reported, own or are named in, and are told so.
 */
export async function registerAnswer<R extends RecordBase>(
  def: RecordKindDef,
  spec: RegisterSpec<R>,
  ctx: CommandContext,
  filterWord: string | undefined,
): Promise<Answer> {
  const filter = (filterWord ?? spec.filters[0] ?? "all").toLowerCase();
  if (!spec.filters.includes(filter))
    throw new QopsError(
      "invalid_input",
      `Unknown list "${filter.slice(0, 20)}". Try ${def.command.under ? "qms " : ""}${def.command.name} list with one of ${spec.filters.join(", ")}.`,
    );
  const workspace = await requireWorkspace(ctx);
  const all = await spec.load(ctx, filter, workspace);
  const whole = seesRegister(def, workspace, ctx.actor.id);
  const items = whole ? all : all.filter((r) => def.involves(r, ctx.actor.id));
  const shown = items.slice(0, REGISTER_LIMIT);
  const more = items.length > shown.length ? ` (showing ${shown.length} of ${items.length})` : "";
  const title = rich`${spec.title} — ${filter} · ${items.length} item${items.length === 1 ? "" : "s"}${more}`;
  return {
    kind: "reply",
    view: message(title, [
      heading(title),
      ...(shown.length ? [list(shown.map((r) => spec.line(r, ctx, workspace)))] : [context(spec.empty)]),
      ...(whole
        ? []
        : [
            context(
              `You see the ${def.plural} you reported, own or are named in; ${whoSees(def.registerRoles ?? [])} see the whole register.`,
            ),
          ]),
    ]),
  };
}

/** Refuses, saying who can, a reader who is neither named in the record nor sees its register. */
export function requireSight(
  def: RecordKindDef,
  ctx: CommandContext,
  record: RecordBase,
  workspace: Workspace,
): void {
  if (seesRegister(def, workspace, ctx.actor.id) || def.involves(record, ctx.actor.id)) return;
  const names = [
    ...new Set((def.registerRoles ?? []).flatMap((r) => holders(workspace, r).map((h) => h.name))),
  ];
  throw new QopsError(
    "forbidden",
    `${record.ref} is not yours to see: only the people it names and ${whoSees(def.registerRoles ?? [])} can open it.${names.length ? ` Ask ${names.join(", ")}.` : ""}`,
  );
}

/**
 * One record with its whole history, for those who may see it: whoever it names (reporter,
 * owner, auditee…) and the roles that see the register. Anyone else is told who can.
 */
export async function showAnswer(def: RecordKindDef, ctx: CommandContext, ref: string): Promise<Answer> {
  const workspace = await requireWorkspace(ctx);
  const record = await loadByRef<RecordBase>(ctx, def, ref);
  requireSight(def, ctx, record, workspace);
  const card = await def.card(ctx, record, viewerFor(ctx, workspace));
  const history = await recordHistory(record._id);
  return {
    kind: "reply",
    view: { ...card, blocks: [...card.blocks, ...historyBlocks(history)] },
  };
}

/** The usual typed grammar of a kind: `list [filter]`, a reference, `help`; anything else is `other`. */
export async function recordCommand<R extends RecordBase>(
  def: RecordKindDef,
  spec: RegisterSpec<R>,
  ctx: CommandContext,
  words: string[],
  other: (words: string[]) => Promise<Answer>,
): Promise<Answer> {
  const [first = "", second] = words;
  if (first.toLowerCase() === "list") return registerAnswer(def, spec, ctx, second);
  if (first && words.length === 1 && /^[A-Za-z]+-(\d{4}-\d{4,}|v\d+)$/.test(first)) {
    if (!def.refPattern.test(first))
      throw new QopsError(
        "not_found",
        `"${first.slice(0, 30)}" is not a ${def.noun} reference (they look like ${def.prefix}-2026-0007). Show it with its own command.`,
      );
    return showAnswer(def, ctx, first);
  }
  return other(words);
}

export const usage = (def: RecordKindDef, rest: string) =>
  cmd(`${def.command.under ? "qms " : ""}${def.command.name}${rest ? ` ${rest}` : ""}`);

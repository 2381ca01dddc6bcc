import type { z } from "zod";
import type { CommandContext } from "../commands/context.js";
import type { PersonRef } from "../db/recordBase.js";
import { QopsError } from "../errors.js";
import { addDays, type Day, dayOf, parseDay, startOfDay } from "../time/zone.js";
import type { FieldView, FormView } from "../views/types.js";
import type { Action } from "./kind.js";
import { type Member, MemberModel, memberKey } from "./member/model.js";
import { zoneOf } from "./workspace/access.js";
import type { Workspace } from "./workspace/model.js";

/** Parses form input; every problem becomes a message on its field, nothing is saved. */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fieldErrors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? "form");
    fieldErrors[field] ??= issue.message;
  }
  const summary = Object.entries(fieldErrors)
    .map(([field, message]) => `${field}: ${message}`)
    .join("; ");
  throw new QopsError("invalid_input", `The ${what} was not saved: ${summary}`, { fieldErrors });
}

/**
 * Checks a form's fields one by one and keeps going, so a person sees every bad field at once:
 * `check` runs one check (its field error is kept, anything else is thrown on), `errors` holds
 * what was found so far.
 */
export function fieldChecks() {
  const errors: Record<string, string> = {};
  return {
    errors,
    async check<T>(run: () => T | Promise<T>): Promise<T | undefined> {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof QopsError) || !error.fieldErrors) throw error;
        for (const [field, message] of Object.entries(error.fieldErrors)) errors[field] ??= message;
        return undefined;
      }
    },
  };
}

/** One value of a form's inputs as text (a list joins with commas; an object is refused). */
export function inputText(inputs: Action["inputs"], name: string): string | undefined {
  const value = inputs[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.join(",");
  if (typeof value !== "string")
    throw new QopsError("invalid_input", `The field "${name}" must be text. Nothing was saved.`, {
      fieldErrors: { [name]: "This must be text." },
    });
  return value;
}

/** Only the named fields, as text. */
export function pick(inputs: Action["inputs"], names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, inputText(inputs, n)]));
}

/** A reason is required text: trimmed, not empty, not a novel. */
export function requireReason(reason: string | undefined | null, what: string, field = "reason"): string {
  const text = (reason ?? "").trim();
  if (text.length === 0)
    throw new QopsError("invalid_input", `Please give a reason ${what}. Nothing was changed.`, {
      fieldErrors: { [field]: "Please give a reason." },
    });
  if (text.length > 1000)
    throw new QopsError("invalid_input", "The reason can be at most 1,000 characters. Nothing was changed.", {
      fieldErrors: { [field]: "At most 1,000 characters." },
    });
  return text;
}

export const reasonField = (label: string): FieldView => ({
  type: "text",
  id: "reason",
  label,
  multiline: true,
  max: 1000,
});

/** A due day and the moment the item becomes overdue (the end of that day in the workspace's zone). */
export function dueOn(day: Day, workspace: Workspace): { dueDay: Day; dueAt: Date } {
  return { dueDay: day, dueAt: startOfDay(addDays(day, 1), zoneOf(workspace)) };
}

/** Today in the workspace's zone. */
export const today = (ctx: CommandContext, workspace: Workspace): Day => dayOf(ctx.now, zoneOf(workspace));

/** The due day of a record written before due days were stored: the day before it became overdue. */
export function dueDayOf(record: { dueDay?: string; dueAt: Date }, workspace: Workspace): Day {
  return record.dueDay ?? dayOf(new Date(record.dueAt.getTime() - 1), zoneOf(workspace));
}

/** A typed or chosen day, checked: a real date, not before `earliest` (when given). */
export function requireDay(text: string | undefined, field: string, what: string, earliest?: Day): Day {
  const day = parseDay(text);
  if (!day)
    throw new QopsError("invalid_input", `Give ${what} as YYYY-MM-DD, e.g. 2026-12-10. Nothing was saved.`, {
      fieldErrors: { [field]: `Choose ${what} (YYYY-MM-DD).` },
    });
  if (earliest && day < earliest)
    throw new QopsError(
      "invalid_input",
      `${capitalise(what)} is in the past; choose ${earliest} or later. Nothing was saved.`,
      {
        fieldErrors: { [field]: "Choose today or a later date." },
      },
    );
  return day;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The people a picker offers where the platform needs a list (Teams): the known members. */
export async function peopleFor(ctx: CommandContext): Promise<PersonRef[]> {
  if (!ctx.surface.peopleLists) return [];
  const members = (await MemberModel.find(
    { workspaceId: ctx.workspaceId, active: true },
    { userId: 1, name: 1 },
  )
    .limit(200)
    .lean()) as Pick<Member, "userId" | "name">[];
  return members.map((m) => ({ id: m.userId, name: m.name || m.userId }));
}

/** A person chosen by id in a form: their name as QOps knows it. */
export async function personById(
  ctx: CommandContext,
  id: string | undefined,
  field: string,
  what: string,
): Promise<PersonRef> {
  const userId = (id ?? "").trim();
  if (!userId || !/^[\w:@.-]{1,100}$/.test(userId))
    throw new QopsError("invalid_input", `Choose ${what}. Nothing was saved.`, {
      fieldErrors: { [field]: `Choose ${what}.` },
    });
  const member = (await MemberModel.findById(memberKey(ctx.workspaceId, userId), { name: 1 }).lean()) as Pick<
    Member,
    "name"
  > | null;
  return { id: userId, name: ctx.names?.[userId] || member?.name || userId };
}

/** Several people chosen in a form (a multi-select arrives as a list or as "a,b"). */
export async function peopleByIds(
  ctx: CommandContext,
  value: string | string[] | undefined,
): Promise<PersonRef[]> {
  const ids = (Array.isArray(value) ? value : (value ?? "").split(",")).map((s) => s.trim()).filter(Boolean);
  return Promise.all([...new Set(ids)].map((id) => personById(ctx, id, "people", "a person")));
}

/** The form that creates a record of this workspace, with what was typed and what was wrong. */
export function creationForm(
  ctx: CommandContext,
  form: { id: string; title: string; submit: string; fields: FieldView[] },
  values: Record<string, string> = {},
  errors?: Record<string, string>,
): FormView {
  return { ...form, target: { ws: ctx.workspaceId }, values, ...(errors ? { errors } : {}) };
}

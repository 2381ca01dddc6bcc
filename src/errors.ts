import type { RequestScope } from "./db/scope.js";
import type { Rich } from "./views/rich.js";

/**
 * Coded errors. Commands throw these; the chat edges turn them into messages.
 * `userMessage` is written for the person in chat and always says what to do next.
 */
export type QopsErrorCode =
  | "forbidden"
  | "not_found"
  | "invalid_input"
  | "invalid_transition"
  | "conflict"
  | "not_set_up"
  | "unavailable";

export class QopsError extends Error {
  readonly code: QopsErrorCode;
  readonly userMessage: string;
  /** Field name → message, for forms that can show errors inline. */
  readonly fieldErrors: Record<string, string> | undefined;
  /** The message with commands, people and instants each platform writes its own way. */
  readonly rich: Rich | undefined;

  constructor(
    code: QopsErrorCode,
    userMessage: string | Rich,
    options: { cause?: unknown; fieldErrors?: Record<string, string> } = {},
  ) {
    const text = typeof userMessage === "string" ? userMessage : plainOf(userMessage);
    super(text, { cause: options.cause });
    this.name = "QopsError";
    this.code = code;
    this.userMessage = text;
    this.rich = typeof userMessage === "string" ? undefined : userMessage;
    this.fieldErrors = options.fieldErrors;
  }
}

/** A rich message as plain words (logs, tests): instants in UTC, commands without a slash. */
function plainOf(text: Rich): string {
  return text
    .map((p) => {
      if (typeof p === "string") return p;
      if ("strong" in p) return p.strong;
      if ("person" in p) return p.person.name;
      if ("day" in p) return p.day;
      if ("at" in p) return `${p.at.slice(0, 16).replace("T", " ")} UTC`;
      if ("cmd" in p) return p.cmd;
      if ("link" in p) return p.text;
      return "the quality channel";
    })
    .join("");
}

export function isQopsError(error: unknown): error is QopsError {
  return error instanceof QopsError;
}

/**
 * The message a person sees for any error: specific for ours, and for the others the truth about
 * what this request had saved before it failed (never a stack trace).
 */
export function userMessageFor(error: unknown, scope?: RequestScope): string {
  if (isQopsError(error)) return error.userMessage;
  const saved = scope?.committed ?? [];
  const unsure = scope?.uncertain ?? [];
  if (saved.length)
    return `${saved.join(", ")} ${saved.length === 1 ? "was" : "were"} saved, but something failed on our side afterwards; what is left (messages, links) is completed automatically. Please check the record before doing it again.`;
  if (unsure.length)
    return `The database stopped answering while ${unsure.join(", ")} was being saved, so QOps cannot say whether it was. If it was, you will be told its reference; please check the register before trying again.`;
  return "Something went wrong on our side and nothing was changed. Please try again in a minute; if it keeps happening, tell your quality manager.";
}

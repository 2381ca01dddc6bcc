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

  constructor(
    code: QopsErrorCode,
    userMessage: string,
    options: { cause?: unknown; fieldErrors?: Record<string, string> } = {},
  ) {
    super(userMessage, { cause: options.cause });
    this.name = "QopsError";
    this.code = code;
    this.userMessage = userMessage;
    this.fieldErrors = options.fieldErrors;
  }
}

export function isQopsError(error: unknown): error is QopsError {
  return error instanceof QopsError;
}

/** The message a person sees for any error: specific for ours, generic (never a stack) otherwise. */
export function userMessageFor(error: unknown): string {
  if (isQopsError(error)) return error.userMessage;
  return "Something went wrong on our side and nothing was changed. Please try again in a minute; if it keeps happening, tell your quality manager.";
}

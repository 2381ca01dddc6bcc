import type { z } from "zod";
import { QopsError } from "../errors.js";

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

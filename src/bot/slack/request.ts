import type { ViewOutput } from "@slack/bolt";
import type { ActionTarget, Token } from "../../views/types.js";

/**
 * Slash command text as words: `<@U1|Robin>` (or `<@U1>`) is a person, `<#C1|quality>` a channel;
 * everything else a word. Names Slack left out are asked for.
 */
export async function tokenize(text: string, nameOf: (userId: string) => Promise<string>): Promise<Token[]> {
  const parts = text.trim().match(/<[^>]*>|\S+/g) ?? [];
  const tokens: Token[] = [];
  for (const part of parts) {
    const person = /^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$/.exec(part);
    if (person?.[1]) {
      tokens.push({ person: { id: person[1], name: person[2] || (await nameOf(person[1])) } });
      continue;
    }
    const channel = /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(part);
    if (channel?.[1]) {
      tokens.push({ channel: channel[1] });
      continue;
    }
    tokens.push({ word: part });
  }
  return tokens;
}

type StateValue = ViewOutput["state"]["values"][string][string];

/** The values of a submitted modal, by block id (the form's field ids); several people as a list. */
export function formValues(view: ViewOutput): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [blockId, actions] of Object.entries(view.state.values)) {
    const value: StateValue | undefined = actions[blockId] ?? Object.values(actions)[0];
    if (!value) continue;
    const many = (value as { selected_users?: string[] }).selected_users;
    out[blockId] =
      many ??
      value.value ??
      value.selected_option?.value ??
      value.selected_user ??
      value.selected_date ??
      value.selected_conversation ??
      undefined;
  }
  return out;
}

/** The user ids chosen in a modal's person fields (their names are looked up before the core runs). */
export function personFields(
  view: ViewOutput,
  values: Record<string, string | string[] | undefined>,
): string[] {
  const ids: string[] = [];
  for (const [blockId, actions] of Object.entries(view.state.values)) {
    const value = actions[blockId] ?? Object.values(actions)[0];
    if (!value || !["users_select", "multi_users_select"].includes(String(value.type))) continue;
    const v = values[blockId];
    for (const id of Array.isArray(v) ? v : v ? [v] : []) if (/^[UW][A-Z0-9]+$/.test(id)) ids.push(id);
  }
  return [...new Set(ids)].slice(0, 20);
}

/** What a button or picker acts on: its value (a button) or its block id (a picker). */
export function targetOf(action: { value?: string; block_id?: string }): ActionTarget | null {
  const raw = action.value ?? (action.block_id?.startsWith("t|") ? action.block_id.slice(2) : undefined);
  try {
    const value = JSON.parse(raw ?? "null") as unknown;
    if (value && typeof value === "object" && typeof (value as ActionTarget).ws === "string") {
      const target = value as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(target).filter(([, v]) => typeof v === "string"),
      ) as ActionTarget;
    }
  } catch {
    // Not a value QOps wrote (an old message's bare reference).
  }
  return null;
}

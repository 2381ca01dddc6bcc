import type { ViewOutput } from "@slack/bolt";

type StateValue = ViewOutput["state"]["values"][string][string];

/** The values of a submitted modal, by block id (our block ids are the field names). */
export function formValues(view: ViewOutput): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [blockId, actions] of Object.entries(view.state.values)) {
    const value: StateValue | undefined = actions[blockId] ?? Object.values(actions)[0];
    if (!value) continue;
    out[blockId] =
      value.value ??
      value.selected_option?.value ??
      value.selected_user ??
      value.selected_date ??
      value.selected_conversation ??
      undefined;
  }
  return out;
}

export function metadata<T>(view: ViewOutput): Partial<T> {
  try {
    return JSON.parse(view.private_metadata || "{}") as Partial<T>;
  } catch {
    return {};
  }
}

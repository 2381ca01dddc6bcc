import { at, type Inline, type Rich, rich, strong } from "./rich.js";
import type { Block, ButtonView, MessageView, PickerView, Tone } from "./types.js";

/** Small builders, so that views read like what a person sees. */
const asRich = (text: Rich | string): Rich => (typeof text === "string" ? [text] : text);

export const heading = (text: Rich | string): Block => ({ type: "heading", text: asRich(text) });
export const paragraph = (text: Rich | string): Block => ({ type: "paragraph", text: asRich(text) });
export const context = (text: Rich | string): Block => ({ type: "context", text: asRich(text) });
export const notice = (text: Rich | string, tone: Tone = "good"): Block => ({
  type: "notice",
  text: asRich(text),
  tone,
});
export const fields = (pairs: [string, Rich | string][]): Block => ({
  type: "fields",
  fields: pairs.map(([label, value]) => ({ label, value: asRich(value) })),
});
export const list = (items: (Rich | string)[]): Block => ({ type: "list", items: items.map(asRich) });
export const divider: Block = { type: "divider" };
export const buttons = (list: ButtonView[]): Block[] =>
  list.length ? [{ type: "buttons", buttons: list }] : [];
export const picker = (p: PickerView): Block => ({ type: "picker", picker: p });

export function message(text: Rich | string, blocks: Block[] = []): MessageView {
  return { text: asRich(text), blocks };
}

/** A one-line answer, with the same words as its text. */
export function answer(text: Rich | string, tone?: Tone): MessageView {
  return message(text, [tone ? notice(text, tone) : paragraph(text)]);
}

/** `view` with a notice on top (what just happened, or why a press was refused). */
export function withNotice(view: MessageView, text: Rich | string, tone: Tone = "good"): MessageView {
  return { ...view, text: asRich(text), blocks: [notice(text, tone), ...view.blocks] };
}

export interface HistoryLike {
  at: Date;
  actor: { name: string };
  type: string;
  changes: Record<string, { after: unknown }>;
  reason: string | null;
}

const words = (v: string) => v.replaceAll("_", " ");

/** One event of a record's history, as a line: when, who, what, the new state, why. */
export function historyLine(e: HistoryLike): Rich {
  const changed = Object.keys(e.changes).filter(
    (f) => !["stateChangedBy", "stateChangedAt", "seq"].includes(f),
  );
  const state = e.changes.state ? [" → ", strong(words(String(e.changes.state.after)))] : [];
  const shown = e.type === "created" || state.length || !changed.length ? "" : ` (${changed.join(", ")})`;
  const reason: Inline[] = e.reason ? [` — “${e.reason}”`] : [];
  return rich`${at(e.at)} · ${e.actor.name} · ${words(e.type)}${state}${shown}${reason}`;
}

/** A record's history as blocks, the newest 40 when it is long. */
export function historyBlocks(events: HistoryLike[]): Block[] {
  const lines = events.map(historyLine);
  const shown =
    lines.length > 40 ? [[`${lines.length - 40} earlier events not shown`], ...lines.slice(-40)] : lines;
  return [divider, heading("History"), list(shown)];
}

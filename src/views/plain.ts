import { formatDay, formatInstant } from "../time/zone.js";
import type { Rich } from "./rich.js";
import type { Block, MessageView } from "./types.js";

export interface PlainOptions {
  /** The reader's zone, for instants. */
  zone: string;
  /** Whether commands are written with a slash (Slack) or not (Teams). */
  slash: boolean;
}

/** Rich text as plain words, for places with no markup at all (exports, logs, notifications). */
export function plain(text: Rich, options: PlainOptions): string {
  return text
    .map((part) => {
      if (typeof part === "string") return part;
      if ("strong" in part) return part.strong;
      if ("person" in part) return part.person.name;
      if ("day" in part) return formatDay(part.day);
      if ("at" in part) return formatInstant(new Date(part.at), options.zone);
      if ("cmd" in part) return options.slash ? `/${part.cmd}` : part.cmd;
      if ("link" in part) return `${part.text} (${part.link})`;
      return "the quality channel";
    })
    .join("");
}

function blockText(block: Block, options: PlainOptions): string[] {
  switch (block.type) {
    case "heading":
    case "paragraph":
    case "context":
      return [plain(block.text, options)];
    case "notice":
      return [plain(block.text, options)];
    case "fields":
      return block.fields.map((f) => `${f.label}: ${plain(f.value, options)}`);
    case "list":
      return block.items.map((i) => `- ${plain(i, options)}`);
    case "buttons":
      return [block.buttons.map((b) => `[${b.label}]`).join(" ")];
    case "picker":
      return [`[${block.picker.label}]`];
    case "image":
      return [`[chart: ${block.alt}]`];
    default:
      return [];
  }
}

/** A whole message as lines of plain text (tests read what a person reads). */
export function plainMessage(view: MessageView, options: PlainOptions): string {
  return [plain(view.text, options), ...view.blocks.flatMap((b) => blockText(b, options))].join("\n");
}

import type { types } from "@slack/bolt";

type KnownBlock = types.KnownBlock;

/** User text inside mrkdwn: `<`, `>` and `&` would become links or mentions; keep them literal. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Slack shows this in each reader's own time zone; the fallback is UTC. */
export function slackDate(date: Date, format = "{date_short_pretty} {time}"): string {
  const fallback = date.toISOString().slice(0, 16).replace("T", " ");
  return `<!date^${Math.floor(date.getTime() / 1000)}^${format}|${fallback} UTC>`;
}

export function slackDay(date: Date): string {
  return slackDate(date, "{date_short}");
}

export const mention = (userId: string) => `<@${userId}>`;

/** Block Kit limits (characters) for the places we put text. */
export const LIMITS = { section: 3000, header: 150, button: 75, context: 2000 } as const;

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A plain-text section: user text shown literally, emoji and all. */
export function plainSection(text: string): KnownBlock {
  return {
    type: "section",
    text: { type: "plain_text", text: clip(text || " ", LIMITS.section), emoji: true },
  };
}

export function mrkdwnSection(text: string): KnownBlock {
  return { type: "section", text: { type: "mrkdwn", text: clip(text, LIMITS.section) } };
}

export function context(text: string): KnownBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: clip(text, LIMITS.context) }] };
}

export function header(text: string): KnownBlock {
  return { type: "header", text: { type: "plain_text", text: clip(text, LIMITS.header), emoji: true } };
}

export interface ButtonSpec {
  actionId: string;
  text: string;
  value: string;
  style?: "primary" | "danger";
}

export function actionsBlock(buttons: ButtonSpec[], blockId?: string): KnownBlock[] {
  if (buttons.length === 0) return [];
  return [
    {
      type: "actions",
      ...(blockId ? { block_id: blockId } : {}),
      elements: buttons.map((b) => ({
        type: "button" as const,
        action_id: b.actionId,
        text: { type: "plain_text" as const, text: clip(b.text, LIMITS.button), emoji: true },
        value: b.value,
        ...(b.style ? { style: b.style } : {}),
      })),
    },
  ];
}

/** Lines joined into as few sections as the 3,000-character limit allows. */
export function linesToSections(lines: string[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let current = "";
  for (const line of lines) {
    if (current && current.length + line.length + 1 > LIMITS.section) {
      blocks.push(mrkdwnSection(current));
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push(mrkdwnSection(current));
  return blocks;
}

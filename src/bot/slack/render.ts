import type { types } from "@slack/bolt";
import { formatDay, formatInstant } from "../../time/zone.js";
import type { Rich } from "../../views/rich.js";
import { safeUrl } from "../../views/rich.js";
import type { ActionTarget, Block, ButtonView, FieldView, FormView, MessageView } from "../../views/types.js";

type KnownBlock = types.KnownBlock;
type View = types.View;

/** Block Kit limits (characters) for the places text goes. */
const LIMITS = { section: 3000, header: 150, button: 75, field: 2000, context: 3000, text: 3900 } as const;
const MAX_BLOCKS = { message: 50, view: 100 } as const;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** User text inside mrkdwn: `<`, `>` and `&` would become mentions, broadcasts or links; they stay literal. */
export function escapeMrkdwn(text: string): string {
  if (!/[&<>]/.test(text)) return text;
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Slack shows this in each reader's own zone; the fallback (old clients) says UTC. */
function slackDate(iso: string): string {
  const date = new Date(iso);
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${formatInstant(date, "UTC")}>`;
}

/** A command as Slack users type it: `/complaint list`, `/qms docs`. */
const slashed = (command: string) => `\`/${command.replaceAll("`", "'")}\``;

/** Rich text as Slack mrkdwn: every literal piece escaped, people mentioned, instants in the reader's zone. */
export function mrkdwn(text: Rich): string {
  return text
    .map((part) => {
      if (typeof part === "string") return escapeMrkdwn(part);
      if ("strong" in part) return part.strong ? `*${escapeMrkdwn(part.strong)}*` : "";
      if ("person" in part)
        return /^[UW][A-Z0-9]+$/.test(part.person.id)
          ? `<@${part.person.id}>`
          : escapeMrkdwn(part.person.name);
      if ("day" in part) return formatDay(part.day);
      if ("at" in part) return slackDate(part.at);
      if ("cmd" in part) return slashed(part.cmd);
      if ("link" in part) {
        const url = safeUrl(part.link);
        return url
          ? `<${url.replaceAll("|", "%7C").replaceAll(">", "%3E")}|${escapeMrkdwn(part.text).replaceAll("|", "¦")}>`
          : escapeMrkdwn(part.text);
      }
      return /^[CG][A-Z0-9]+$/.test(part.channel) ? `<#${part.channel}>` : "the quality channel";
    })
    .join("");
}

/** Rich text as plain text (headers, buttons, modal labels): names, not mentions; instants in UTC. */
export function plainText(text: Rich): string {
  return text
    .map((part) => {
      if (typeof part === "string") return part;
      if ("strong" in part) return part.strong;
      if ("person" in part) return part.person.name;
      if ("day" in part) return formatDay(part.day);
      if ("at" in part) return formatInstant(new Date(part.at), "UTC");
      if ("cmd" in part) return `/${part.cmd}`;
      if ("link" in part) return part.text;
      return "the quality channel";
    })
    .join("");
}

/** The message's notification text: mrkdwn too (Slack renders it), so user text is escaped here as well. */
export const messageText = (view: MessageView) => clip(mrkdwn(view.text), LIMITS.text);

const section = (text: string): KnownBlock => ({
  type: "section",
  text: { type: "mrkdwn", text: clip(text, LIMITS.section) || " " },
});

/** Lines joined into as few sections as the 3,000-character limit allows. */
function sections(lines: string[]): KnownBlock[] {
  const out: KnownBlock[] = [];
  let current = "";
  for (const line of lines) {
    if (current && current.length + line.length + 1 > LIMITS.section) {
      out.push(section(current));
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) out.push(section(current));
  return out;
}

export const targetValue = (target: ActionTarget) => JSON.stringify(target);

function button(b: ButtonView): types.Button {
  return {
    type: "button",
    action_id: b.id,
    text: { type: "plain_text", text: clip(b.label, LIMITS.button), emoji: true },
    value: targetValue(b.target).slice(0, 2000),
    ...(b.style ? { style: b.style } : {}),
  };
}

/** The block id a picker carries: what it acts on (Slack sends no value with a user choice). */
export const pickerBlockId = (target: ActionTarget) => `t|${JSON.stringify(target)}`.slice(0, 255);

function block(b: Block): KnownBlock[] {
  switch (b.type) {
    case "heading":
      return [
        {
          type: "header",
          text: { type: "plain_text", text: clip(plainText(b.text), LIMITS.header) || " ", emoji: true },
        },
      ];
    case "notice":
    case "paragraph":
      return sections([mrkdwn(b.text)]);
    case "fields": {
      const out: KnownBlock[] = [];
      for (let i = 0; i < b.fields.length; i += 10)
        out.push({
          type: "section",
          fields: b.fields.slice(i, i + 10).map((f) => ({
            type: "mrkdwn" as const,
            text: clip(`*${escapeMrkdwn(f.label)}:* ${mrkdwn(f.value)}`, LIMITS.field),
          })),
        });
      return out;
    }
    case "list":
      return sections(b.items.map((i) => `• ${mrkdwn(i)}`));
    case "context":
      return [
        {
          type: "context",
          elements: [{ type: "mrkdwn", text: clip(mrkdwn(b.text), LIMITS.context) || " " }],
        },
      ];
    case "divider":
      return [{ type: "divider" }];
    case "image":
      return [{ type: "image", image_url: b.url, alt_text: clip(b.alt, 2000) || "chart" }];
    case "buttons": {
      const out: KnownBlock[] = [];
      for (let i = 0; i < b.buttons.length; i += 25)
        out.push({ type: "actions", elements: b.buttons.slice(i, i + 25).map(button) });
      return out;
    }
    case "picker":
      return [
        {
          type: "actions",
          block_id: pickerBlockId(b.picker.target),
          elements: [
            {
              type: "users_select",
              action_id: b.picker.id,
              placeholder: { type: "plain_text", text: clip(b.picker.label, 150) },
              ...(b.picker.current && /^[UW][A-Z0-9]+$/.test(b.picker.current.id)
                ? { initial_user: b.picker.current.id }
                : {}),
            },
          ],
        },
      ];
  }
}

/** A message's blocks, within Slack's limit (the rest is said to be cut). */
export function blocks(view: MessageView, max: number = MAX_BLOCKS.message): KnownBlock[] {
  const out = view.blocks.flatMap(block);
  if (out.length <= max) return out;
  return [
    ...out.slice(0, max - 1),
    { type: "context", elements: [{ type: "mrkdwn", text: "More is not shown here." }] },
  ];
}

export const homeBlocks = (view: MessageView) => blocks(view, MAX_BLOCKS.view);

function input(field: FieldView, form: FormView): KnownBlock {
  const value = form.values?.[field.id];
  const one = Array.isArray(value) ? value[0] : value;
  const label = { type: "plain_text" as const, text: clip(field.label, 2000) };
  const optional = "optional" in field ? Boolean(field.optional) : false;
  const base = { type: "input" as const, block_id: field.id, label, optional };
  switch (field.type) {
    case "text":
      return {
        ...base,
        element: {
          type: "plain_text_input",
          action_id: field.id,
          multiline: field.multiline ?? false,
          max_length: field.max,
          ...(one ? { initial_value: clip(one, field.max) } : {}),
          ...(field.placeholder ? { placeholder: { type: "plain_text", text: field.placeholder } } : {}),
        },
      };
    case "choice": {
      const options = field.options.map((o) => ({
        text: { type: "plain_text" as const, text: clip(o.label, 75) },
        value: o.value,
      }));
      const initial = options.find((o) => o.value === one);
      return {
        ...base,
        element: field.radio
          ? {
              type: "radio_buttons",
              action_id: field.id,
              options,
              ...(initial ? { initial_option: initial } : {}),
            }
          : {
              type: "static_select",
              action_id: field.id,
              options,
              ...(initial ? { initial_option: initial } : {}),
            },
      };
    }
    case "person":
      return {
        ...base,
        element: field.multi
          ? {
              type: "multi_users_select",
              action_id: field.id,
              ...(Array.isArray(value) ? { initial_users: value } : {}),
            }
          : { type: "users_select", action_id: field.id, ...(one ? { initial_user: one } : {}) },
      };
    case "date":
      return {
        ...base,
        element: { type: "datepicker", action_id: field.id, ...(one ? { initial_date: one } : {}) },
      };
  }
}

/** A form as a modal; what it acts on travels in its private metadata. */
export function modal(form: FormView): View {
  return {
    type: "modal",
    callback_id: form.id,
    title: { type: "plain_text", text: clip(form.title, 24) },
    submit: { type: "plain_text", text: clip(form.submit, 24) },
    close: { type: "plain_text", text: "Cancel" },
    private_metadata: JSON.stringify(form.target).slice(0, 3000),
    blocks: [
      ...(form.intro ? sections([mrkdwn(form.intro)]) : []),
      ...form.fields.map((f) => input(f, form)),
    ],
  };
}

/** Errors on a modal, by field (block id); one that is no field goes on the first. */
export function modalErrors(form: FormView, errors: Record<string, string>): Record<string, string> {
  const ids = new Set(form.fields.map((f) => f.id));
  const first = form.fields[0]?.id ?? "form";
  const out: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors)) out[ids.has(field) ? field : first] ??= message;
  return out;
}

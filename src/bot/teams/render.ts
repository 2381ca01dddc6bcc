import { randomUUID } from "node:crypto";
import { formatDay, formatInstant } from "../../time/zone.js";
import { type Rich, safeUrl } from "../../views/rich.js";
import type {
  ActionTarget,
  Block,
  ButtonView,
  FieldView,
  FormView,
  MessageView,
  PickerView,
  Tone,
} from "../../views/types.js";
import {
  type AdaptiveCard,
  type CardAction,
  type CardElement,
  card,
  execute,
  type Input,
  type InputChoiceSet,
  literal,
  text,
} from "./cards.js";

/** The verb a card sends when Teams asks for its current state (Universal Actions refresh). */
export const REFRESH_VERB = "card.refresh";

/**
 * Teams reads a markdown subset in cards; a backslash keeps user text literal. Parentheses need
 * none: a link needs its brackets, which are escaped.
 */
export function escapeMarkdown(value: string): string {
  return value
    .replace(/([\\*_[\]`~])/g, "\\$1")
    .replace(/^(\s*)([-+>#])/gm, "$1\\$2")
    .replace(/^(\s*\d+)\./gm, "$1\\.");
}

/** In a message's text Teams also reads some HTML: entities keep `<a href>` literal. */
const escapeHtml = (value: string) =>
  value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Teams' card date functions show an instant in the reader's own zone. */
const cardInstant = (iso: string) => {
  const t = `${iso.slice(0, 19)}Z`;
  return `{{DATE(${t}, SHORT)}} {{TIME(${t})}}`;
};

/** Rich text as card markdown: literal pieces escaped, instants in the reader's zone. */
export function markdown(value: Rich): string {
  return value
    .map((part) => {
      if (typeof part === "string") return escapeMarkdown(part);
      if ("strong" in part) return part.strong ? `**${escapeMarkdown(part.strong)}**` : "";
      if ("person" in part) return escapeMarkdown(part.person.name);
      if ("day" in part) return formatDay(part.day);
      if ("at" in part) return cardInstant(part.at);
      if ("cmd" in part) return `\`${part.cmd.replaceAll("`", "'")}\``;
      if ("link" in part) {
        const url = safeUrl(part.link);
        return url
          ? `[${escapeMarkdown(part.text)}](${url.replaceAll("(", "%28").replaceAll(")", "%29")})`
          : escapeMarkdown(part.text);
      }
      return "the quality channel";
    })
    .join("");
}

/**
 * Rich text for a message's own text (the notification), in the reader's zone: markdown and HTML
 * escaped both, so neither a `[link](…)` nor an `<a href>` in a title turns live.
 */
export function messageText(value: Rich, zone: string): string {
  return value
    .map((part) => {
      if (typeof part === "string") return escapeHtml(escapeMarkdown(part));
      if ("strong" in part) return escapeHtml(escapeMarkdown(part.strong));
      if ("person" in part) return escapeHtml(escapeMarkdown(part.person.name));
      if ("day" in part) return formatDay(part.day);
      if ("at" in part) return formatInstant(new Date(part.at), zone);
      if ("cmd" in part) return `\`${part.cmd.replaceAll("`", "'")}\``;
      if ("link" in part) return escapeHtml(escapeMarkdown(part.text));
      return "the quality channel";
    })
    .join("");
}

const isPlain = (value: Rich) => value.every((p) => typeof p === "string");
const COLORS: Record<Tone, "Good" | "Warning" | "Attention"> = {
  good: "Good",
  warning: "Warning",
  attention: "Attention",
};

/** A paragraph: only QOps's own markup is markdown; text that is all the user's is a TextRun. */
const paragraph = (value: Rich): CardElement =>
  isPlain(value) ? literal(value.join("")) : text(markdown(value));

/** What a card's action sends back: the target, with every value a string. */
const dataOf = (target: ActionTarget): Record<string, string> =>
  Object.fromEntries(Object.entries(target).filter((e): e is [string, string] => typeof e[1] === "string"));

function input(field: FieldView, form: FormView): CardElement[] {
  const value = form.values?.[field.id];
  const one = Array.isArray(value) ? value.join(",") : value;
  const optional = "optional" in field && field.optional;
  // What every input has: its id and label, whether it must be filled in, what it holds now.
  const common = {
    id: field.id,
    label: field.label,
    ...(optional ? {} : { isRequired: true, errorMessage: `${field.label} is required.` }),
    ...(one ? { value: one } : {}),
  };
  let element: Input;
  switch (field.type) {
    case "text":
      element = {
        type: "Input.Text",
        ...common,
        isMultiline: field.multiline ?? false,
        maxLength: field.max,
        ...(field.placeholder ? { placeholder: field.placeholder } : {}),
      };
      break;
    case "choice":
      element = {
        type: "Input.ChoiceSet",
        ...common,
        style: field.radio ? "expanded" : "compact",
        choices: field.options.map((o) => ({ title: o.label, value: o.value })),
      };
      break;
    case "person":
      element = people(field.id, field.label, field.people, one, Boolean(field.multi), !optional);
      break;
    case "date":
      element = { type: "Input.Date", ...common };
      break;
  }
  const error = form.errors?.[field.id];
  return error ? [element, text(escapeMarkdown(error), { color: "Attention", weight: "Bolder" })] : [element];
}

function people(
  id: string,
  label: string,
  list: { id: string; name: string }[],
  value: string | undefined,
  multi: boolean,
  required: boolean,
): InputChoiceSet {
  return {
    type: "Input.ChoiceSet",
    id,
    label,
    style: "filtered",
    choices: list.map((p) => ({ title: p.name, value: p.id })),
    "choices.data": { type: "Data.Query", dataset: "graph.microsoft.com/users" },
    ...(multi ? { isMultiSelect: true } : {}),
    ...(required ? { isRequired: true, errorMessage: `Choose ${label.toLowerCase()}.` } : {}),
    ...(value ? { value } : {}),
  };
}

/** A form as a card; its submit sends the target and a form id, so a second submit of the same card is one request. */
export function formCard(form: FormView): AdaptiveCard {
  const intro =
    form.errors && Object.keys(form.errors).length
      ? [
          text("Please correct the fields marked below; nothing was saved yet.", {
            color: "Attention",
            weight: "Bolder",
          }),
        ]
      : [];
  const data = { ...dataOf(form.target), formId: form.target.formId ?? randomUUID() };
  return card(
    [
      text(escapeMarkdown(form.title), { size: "Medium", weight: "Bolder", style: "heading" }),
      ...(form.intro ? [paragraph(form.intro)] : []),
      ...intro,
      ...form.fields.flatMap((f) => input(f, form)),
    ],
    [execute(form.id, form.submit, data, "primary")],
  );
}

/** A button: a plain Action.Execute, or (when it needs input) the same under a small inline form. */
function action(button: ButtonView): CardAction {
  const data = dataOf(button.target);
  if (!button.form) return execute(button.id, button.label, data, button.style);
  return {
    type: "Action.ShowCard",
    title: button.label,
    card: {
      type: "AdaptiveCard",
      body: button.form.fields.flatMap((f) => input(f, button.form as FormView)),
      actions: [execute(button.id, button.form.submit, data, button.style)],
    },
  };
}

function pickerAction(p: PickerView): CardAction {
  return {
    type: "Action.ShowCard",
    title: p.label,
    card: {
      type: "AdaptiveCard",
      body: [people("ownerId", "Owner", p.people, p.current?.id, false, true)],
      actions: [execute(p.id, "Assign", dataOf(p.target))],
    },
  };
}

function element(b: Block): CardElement[] {
  switch (b.type) {
    case "heading":
      return [text(markdown(b.text), { size: "Medium", weight: "Bolder", style: "heading" })];
    case "notice":
      return [text(markdown(b.text), { color: COLORS[b.tone], weight: "Bolder" })];
    case "paragraph":
      return [paragraph(b.text)];
    case "fields":
      return [
        { type: "FactSet", facts: b.fields.map((f) => ({ title: f.label, value: markdown(f.value) })) },
      ];
    case "list":
      return b.items.length ? [text(b.items.map((i) => `- ${markdown(i)}`).join("\n"))] : [];
    case "context":
      return [text(markdown(b.text), { isSubtle: true })];
    case "divider":
      return [{ type: "Container", items: [], separator: true }];
    case "image":
      return [{ type: "Image", url: b.url, altText: b.alt, size: "Stretch" }];
    default:
      return [];
  }
}

/** A message as a card: its blocks, its buttons and pickers as card actions, and its refresh. */
export function messageCard(view: MessageView): AdaptiveCard {
  const body = view.blocks.flatMap(element);
  const actions = view.blocks.flatMap((b): CardAction[] =>
    b.type === "buttons" ? b.buttons.map(action) : b.type === "picker" ? [pickerAction(b.picker)] : [],
  );
  return card(
    body.length ? body : [text(markdown(view.text))],
    actions.slice(0, 6),
    view.refresh ? execute(REFRESH_VERB, "Refresh", dataOf(view.refresh)) : undefined,
  );
}

/** `view` with `note` on top: what the presser is told, on the card they see. */
export function withNote(view: MessageView, note: MessageView | undefined): MessageView {
  return note ? { ...view, blocks: [...note.blocks, ...view.blocks] } : view;
}

/**
 * A small typed layer over the Adaptive Card schema (1.4, what Teams renders with Universal
 * Actions): only the elements QOps uses, so a card QOps builds that the schema does not allow
 * fails the type check, not the Teams client.
 */
export type Color = "Default" | "Good" | "Warning" | "Attention";

export interface TextBlock {
  type: "TextBlock";
  text: string;
  wrap: true;
  size?: "Medium" | "Large";
  weight?: "Bolder";
  color?: Color;
  isSubtle?: boolean;
  separator?: boolean;
  style?: "heading";
}

export interface TextRun {
  type: "TextRun";
  text: string;
}

/** Text that is never read as markdown: user text as it was typed. */
export interface RichTextBlock {
  type: "RichTextBlock";
  inlines: TextRun[];
}

export interface FactSet {
  type: "FactSet";
  facts: { title: string; value: string }[];
}

export interface Container {
  type: "Container";
  items: CardElement[];
  separator?: boolean;
}

interface InputBase {
  id: string;
  label: string;
  isRequired?: boolean;
  errorMessage?: string;
}

export interface InputText extends InputBase {
  type: "Input.Text";
  isMultiline?: boolean;
  maxLength?: number;
  placeholder?: string;
  value?: string;
}

export interface InputChoiceSet extends InputBase {
  type: "Input.ChoiceSet";
  choices: { title: string; value: string }[];
  style?: "compact" | "expanded" | "filtered";
  isMultiSelect?: boolean;
  value?: string;
  /** Teams looks people up in the organisation's directory as they type. */
  "choices.data"?: { type: "Data.Query"; dataset: "graph.microsoft.com/users" };
}

export interface InputDate extends InputBase {
  type: "Input.Date";
  value?: string;
}

export type Input = InputText | InputChoiceSet | InputDate;
export interface Image {
  type: "Image";
  url: string;
  altText: string;
  size?: "Auto" | "Stretch" | "Small" | "Medium" | "Large";
}

export type CardElement = TextBlock | RichTextBlock | FactSet | Container | Image | Input;

export interface ActionSubmit {
  type: "Action.Submit";
  title: string;
  data: Record<string, string>;
}

export interface ActionExecute {
  type: "Action.Execute";
  title: string;
  verb: string;
  data: Record<string, string>;
  style?: "positive" | "destructive";
  /** Clients without Universal Actions (the Bot Framework Emulator) send a message instead. */
  fallback?: ActionSubmit;
}

export interface ActionShowCard {
  type: "Action.ShowCard";
  title: string;
  card: { type: "AdaptiveCard"; body: CardElement[]; actions: ActionExecute[] };
}

export interface ActionOpenUrl {
  type: "Action.OpenUrl";
  title: string;
  url: string;
}

export type CardAction = ActionExecute | ActionShowCard | ActionOpenUrl;

export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  version: "1.4";
  body: CardElement[];
  actions?: CardAction[];
  /** Universal Actions: the card asks for its current state when shown. */
  refresh?: { action: ActionExecute };
}

export const CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

export function card(body: CardElement[], actions: CardAction[] = [], refresh?: ActionExecute): AdaptiveCard {
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.4",
    body,
    ...(actions.length ? { actions } : {}),
    ...(refresh ? { refresh: { action: refresh } } : {}),
  };
}

export const attachment = (content: AdaptiveCard) => ({ contentType: CARD_CONTENT_TYPE, content });

export function execute(
  verb: string,
  title: string,
  data: Record<string, string>,
  style?: "primary" | "danger",
): ActionExecute {
  return {
    type: "Action.Execute",
    title,
    verb,
    data,
    ...(style === "primary"
      ? { style: "positive" as const }
      : style === "danger"
        ? { style: "destructive" as const }
        : {}),
    fallback: { type: "Action.Submit", title, data: { ...data, verb } },
  };
}

export const text = (
  value: string,
  extra: Omit<Partial<TextBlock>, "type" | "text" | "wrap"> = {},
): TextBlock => ({
  type: "TextBlock",
  text: value,
  wrap: true,
  ...extra,
});

export const literal = (value: string): RichTextBlock => ({
  type: "RichTextBlock",
  inlines: [{ type: "TextRun", text: value }],
});

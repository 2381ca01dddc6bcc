import type { Rich } from "./rich.js";

/**
 * What the core answers with, for any platform: messages made of blocks, forms made of fields,
 * buttons that carry the workspace and record they act on. Each adapter has one renderer that
 * turns these into Block Kit or Adaptive Cards; neither adds or drops a fact.
 */
export type Tone = "good" | "warning" | "attention";

/** What a button or form acts on: always the workspace, so a press from elsewhere is refused. */
export interface ActionTarget {
  ws: string;
  ref?: string;
  [key: string]: string | undefined;
}

export interface ButtonView {
  /** The action id (Slack) and verb (Teams): `complaint.accept`. */
  id: string;
  label: string;
  target: ActionTarget;
  style?: "primary" | "danger";
  /** Input the press needs first: Slack opens it as a modal, Teams shows it under the button. */
  form?: FormView;
}

export interface PersonRef {
  id: string;
  name: string;
}

/** A choice of one person that acts at once (an owner picker). */
export interface PickerView {
  id: string;
  label: string;
  target: ActionTarget;
  current: PersonRef | null;
  /** Who can be chosen, for platforms whose pickers need a list (Teams); Slack lists the workspace. */
  people: PersonRef[];
}

export type Block =
  | { type: "heading"; text: Rich }
  | { type: "notice"; text: Rich; tone: Tone }
  | { type: "paragraph"; text: Rich }
  | { type: "fields"; fields: { label: string; value: Rich }[] }
  | { type: "list"; items: Rich[] }
  | { type: "context"; text: Rich }
  | { type: "divider" }
  /** A picture QOps serves itself (a chart as PNG); `alt` says what it shows, for screen readers. */
  | { type: "image"; url: string; alt: string }
  | { type: "buttons"; buttons: ButtonView[] }
  | { type: "picker"; picker: PickerView };

export interface MessageView {
  /** The notification text and fallback: says on its own what the message is about. */
  text: Rich;
  blocks: Block[];
  /** The record a card shows, so a client can ask for it afresh (Teams refresh). */
  refresh?: ActionTarget;
}

export type FieldView =
  | {
      type: "text";
      id: string;
      label: string;
      max: number;
      multiline?: boolean;
      optional?: boolean;
      placeholder?: string;
    }
  | {
      type: "choice";
      id: string;
      label: string;
      options: { value: string; label: string }[];
      optional?: boolean;
      /** Radio buttons (a few options, all visible) rather than a menu. */
      radio?: boolean;
    }
  | { type: "person"; id: string; label: string; multi?: boolean; optional?: boolean; people: PersonRef[] }
  | { type: "date"; id: string; label: string; optional?: boolean };

export interface FormView {
  /** The form's id (Slack callback id, Teams verb): `complaint.new`. */
  id: string;
  title: string;
  submit: string;
  intro?: Rich;
  fields: FieldView[];
  /** What the submission acts on, carried through the platform unchanged (workspace, record, form id). */
  target: ActionTarget;
  values?: Record<string, string | string[]>;
  errors?: Record<string, string>;
}

/** The core's answer to a command, a button press or a form. */
export type Answer =
  /** To the person who asked, only (Slack ephemeral, Teams reply). */
  | { kind: "reply"; view: MessageView }
  /** Open this form (Slack modal, Teams form card). */
  | { kind: "form"; form: FormView }
  /**
   * Redraw the message the press came from as `view` (what everyone there sees), and tell the
   * presser `note` (Slack: privately; Teams: on top of the card they see).
   */
  | { kind: "update"; view: MessageView; note?: MessageView; refused?: boolean }
  /** A submitted form with errors: show them on the form, nothing was saved. */
  | { kind: "invalid"; form: FormView }
  /**
   * A submitted form was handled. `view` is what to show in the form's place where the platform
   * shows one (Teams); where it cannot (a Slack modal), the core has already queued it as a message.
   */
  | { kind: "done"; view: MessageView };

/** Words of a command as the adapter read them: people and channels already resolved. */
export type Token = { word: string } | { person: PersonRef } | { channel: string };

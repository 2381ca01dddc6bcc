import type { types } from "@slack/bolt";
import { COMPLAINT_CATEGORIES } from "../../../commands/complaints/createComplaint.js";
import { SEVERITIES } from "../../../models/complaint.js";
import { VIEWS } from "../surface.js";
import { clip } from "./text.js";

type View = types.View;
type KnownBlock = types.KnownBlock;

const option = (value: string, text = value) => ({ text: { type: "plain_text" as const, text }, value });

function textInput(
  field: string,
  label: string,
  options: {
    multiline?: boolean;
    maxLength: number;
    optional?: boolean;
    initial?: string;
    placeholder?: string;
  },
): KnownBlock {
  return {
    type: "input",
    block_id: field,
    optional: options.optional ?? false,
    label: { type: "plain_text", text: label },
    element: {
      type: "plain_text_input",
      action_id: field,
      multiline: options.multiline ?? false,
      max_length: options.maxLength,
      ...(options.initial ? { initial_value: clip(options.initial, options.maxLength) } : {}),
      ...(options.placeholder ? { placeholder: { type: "plain_text", text: options.placeholder } } : {}),
    },
  };
}

function selectInput(field: string, label: string, values: readonly string[], initial?: string): KnownBlock {
  return {
    type: "input",
    block_id: field,
    label: { type: "plain_text", text: label },
    element: {
      type: "static_select",
      action_id: field,
      options: values.map((v) => option(v)),
      ...(initial ? { initial_option: option(initial) } : {}),
    },
  };
}

function modal(
  callbackId: string,
  title: string,
  submit: string,
  blocks: KnownBlock[],
  metadata: object,
): View {
  return {
    type: "modal",
    callback_id: callbackId,
    title: { type: "plain_text", text: clip(title, 24) },
    submit: { type: "plain_text", text: submit },
    close: { type: "plain_text", text: "Cancel" },
    private_metadata: JSON.stringify(metadata),
    blocks,
  };
}

export interface ComplaintPrefill {
  title?: string;
  description?: string;
}

/** Where a complaint logged from a message came from; kept in the modal until submit. */
export interface MessageOrigin {
  channelId: string;
  ts: string;
  authorId: string | null;
}

export function complaintModal(prefill: ComplaintPrefill = {}, origin: MessageOrigin | null = null): View {
  return modal(
    VIEWS.newComplaint,
    "Log a complaint",
    "Log complaint",
    [
      textInput("title", "Title", {
        maxLength: 150,
        initial: prefill.title,
        placeholder: "What went wrong, in a line",
      }),
      textInput("description", "Description", {
        multiline: true,
        maxLength: 3000,
        optional: true,
        initial: prefill.description,
      }),
      textInput("customer", "Customer", { maxLength: 200, optional: true }),
      textInput("productRef", "Product or order reference", { maxLength: 100, optional: true }),
      selectInput("severity", "Severity", SEVERITIES, "medium"),
      selectInput("category", "Category", COMPLAINT_CATEGORIES, "product"),
    ],
    { origin },
  );
}

export function ideaModal(prefill: { title?: string } = {}): View {
  return modal(
    VIEWS.newIdea,
    "Suggest an improvement",
    "Submit idea",
    [
      textInput("title", "Title", { maxLength: 150, initial: prefill.title }),
      textInput("description", "Description", { multiline: true, maxLength: 3000, optional: true }),
      textInput("expectedBenefit", "Expected benefit", { multiline: true, maxLength: 1000, optional: true }),
    ],
    {},
  );
}

export function actionModal(sourceRef: string | null, prefill: { problem?: string } = {}): View {
  return modal(
    VIEWS.newAction,
    sourceRef ? `Action for ${sourceRef}` : "New corrective action",
    "Open action",
    [
      textInput("problem", "Problem statement", {
        multiline: true,
        maxLength: 3000,
        initial: prefill.problem,
      }),
      textInput("containment", "Containment (what was done right away)", {
        multiline: true,
        maxLength: 3000,
        optional: true,
      }),
      textInput("rootCause", "Root cause (five whys: why? why? why? why? why?)", {
        multiline: true,
        maxLength: 3000,
        optional: true,
      }),
      textInput("plan", "Plan", { multiline: true, maxLength: 3000, optional: true }),
      {
        type: "input",
        block_id: "ownerId",
        label: { type: "plain_text", text: "Owner" },
        element: { type: "users_select", action_id: "ownerId" },
      },
      {
        type: "input",
        block_id: "dueDate",
        label: { type: "plain_text", text: "Due date" },
        element: { type: "datepicker", action_id: "dueDate" },
      },
      selectInput("actionType", "Type", ["corrective", "preventive"], "corrective"),
    ],
    { sourceRef },
  );
}

/** Where the button was pressed, so the message can be updated after the modal. */
export interface ButtonOrigin {
  ref: string;
  channelId: string | null;
  ts: string | null;
}

export function reasonModal(callbackId: string, title: string, prompt: string, origin: ButtonOrigin): View {
  return modal(
    callbackId,
    title,
    "Confirm",
    [textInput("reason", prompt, { multiline: true, maxLength: 1000 })],
    origin,
  );
}

export function closeComplaintModal(origin: ButtonOrigin): View {
  return modal(
    VIEWS.closeComplaint,
    `Close ${origin.ref}`,
    "Close complaint",
    [
      {
        type: "input",
        block_id: "customerNotified",
        label: { type: "plain_text", text: "Has the customer been told the outcome?" },
        element: {
          type: "radio_buttons",
          action_id: "customerNotified",
          options: [option("yes", "Yes"), option("no", "No")],
        },
      },
    ],
    origin,
  );
}

export function policyDraftModal(): View {
  return modal(
    VIEWS.draftPolicy,
    "Draft quality policy",
    "Save draft",
    [
      textInput("text", "Policy text (or give a link and a summary)", {
        multiline: true,
        maxLength: 3000,
        optional: true,
      }),
      textInput("link", "Link to the full policy", {
        maxLength: 500,
        optional: true,
        placeholder: "https://…",
      }),
      textInput("summary", "Summary", { multiline: true, maxLength: 1000, optional: true }),
    ],
    {},
  );
}

export function snoozeModal(origin: ButtonOrigin): View {
  return modal(
    VIEWS.snoozeAction,
    `Snooze ${origin.ref}`,
    "Snooze",
    [
      {
        type: "input",
        block_id: "until",
        label: { type: "plain_text", text: "Remind me again on" },
        element: { type: "datepicker", action_id: "until" },
      },
      textInput("reason", "Why? (kept in the action's history)", { multiline: true, maxLength: 1000 }),
    ],
    origin,
  );
}

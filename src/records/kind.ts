import type { Model } from "mongoose";
import type { CommandContext } from "../commands/context.js";
import type { HistoryEvent } from "../db/historyModels.js";
import type { PersonRef, RecordBase } from "../db/recordBase.js";
import type { NewDelivery } from "../outbox/enqueue.js";
import type { Rich } from "../views/rich.js";
import type { ActionTarget, Answer, FieldView, MessageView, Token } from "../views/types.js";
import type { Role, Workspace } from "./workspace/model.js";

/**
 * One kind of QMS record as the rest of QOps sees it: its model, its reference, its commands,
 * buttons and forms, how it is shown, who may read it, and what it reminds people of. The
 * registry lists these; routing, help, reference parsing, the "show a record" list and the
 * manifests' checks are derived from it.
 */
export interface RecordKindDef {
  /** The name people and ids use: `complaint` (button ids are `complaint.accept`). */
  id: string;
  /** The kind its history and documents carry (`document` for both policies and procedures). */
  kind: string;
  model: Model<RecordBase>;
  /** "complaint", "complaints": for replies. */
  noun: string;
  plural: string;
  /** Reference prefix (CMP) and the pattern a typed reference must match. */
  prefix: string;
  refPattern: RegExp;
  /** How a reference is written in a record key (POL-v2 keeps its lower-case v). */
  normalizeRef?: (typed: string) => string;
  /** Whether a record of `kind` belongs to this definition (a policy is not a procedure). */
  accepts?: (record: RecordBase) => boolean;
  /** The command that leads to it: `/complaint` in Slack, `complaint` in Teams; or a `qms` word. */
  command: { name: string; under?: "qms"; aliases?: string[] };
  /** One line per sub-command, the same on both platforms (commands written as `cmd`). */
  help: HelpLine[];
  /** Its `help` sub-command gives more than these lines (audit help); else the core answers it. */
  ownHelp?: boolean;
  /** Runs a typed command (the words after the command name). */
  typed(ctx: CommandContext, args: Token[], word: string): Promise<Answer>;
  /** Buttons and forms, by id: a press (or a submitted form) with its inputs. */
  actions: Record<string, ActionHandler>;
  /** The record as a card for a viewer: its facts, state, and the buttons they may press. */
  card(ctx: CommandContext, record: RecordBase, viewer: Viewer): Promise<MessageView>;
  /** Whether a person may see this record (besides those whose roles see every register). */
  involves(record: RecordBase, userId: string): boolean;
  /** Roles that see every record of this kind (the register); absent: everyone does. */
  registerRoles?: Role[];
  /** Reminders that are due about records of this kind, recorded by the hourly job. */
  reminders?(workspace: Workspace, now: Date): Promise<NewDelivery[]>;
  /** Its section of the management review pack (ISO 9001 9.3.2), for a period. */
  reviewInput?(
    ctx: CommandContext,
    period: { start: Date; end: Date },
  ): Promise<{ clause: string; line: Rich; figures: Record<string, number> }>;
  /** The field that records where its quality-channel post landed (`triageMessage`). */
  postField?: string;
  /** Its section of the certification auditor's evidence pack (`qms evidence`). */
  evidence?: EvidenceSpec;
  /** The forms this kind shows, with their fields (for the platform parity test). */
  forms?: Record<string, FieldView[]>;
}

export interface EvidenceSpec {
  /** ISO 9001 clauses, in the order the pack lists them: ["8.2.1", "9.1.2"]. */
  clauses: string[];
  title: string;
  /**
   * States in which a record is finished: it is in a period's pack only if it changed in the
   * period. A record in any other state at the period's end is in it whenever it changed.
   */
  finished: readonly string[];
  /** Records of another model that belong to this section (a policy's acknowledgements). */
  related?: { kind: string; model: Model<RecordBase>; title: string }[];
}

export interface HelpLine {
  /** The command as typed, without the slash: `complaint list [open|mine|overdue|all]`. */
  usage: string;
  text: string;
  /** Not a command but a message's menu (shown where the platform has the message shortcut). */
  messageShortcut?: boolean;
}

/** A press of a button or the submission of a form: what it targets and what was filled in. */
export interface Action {
  ctx: CommandContext;
  target: ActionTarget;
  /** Values typed or chosen; empty for a plain press. */
  inputs: Record<string, string | string[] | undefined>;
  /** Where the press came from: a shared place (a channel) or one person's view. */
  source: "channel" | "private";
  /** True when the values come from a submitted form (not a button press). */
  submitted: boolean;
  /** True when a typed command carries the values (its reply is the answer; no form was shown). */
  typed?: boolean;
}

export type ActionHandler = (action: Action) => Promise<Answer>;

/**
 * Who sees a record's buttons: a shared place (a channel: every button, every press checked on
 * the server) or one person, who sees only what they may do.
 */
export type Viewer = { userId: string; roles: Role[] } | "channel";

export interface StatefulRecord extends RecordBase {
  state: string;
  owner: PersonRef | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
}

/** A record with the history to show under it. */
export interface ShownRecord {
  record: RecordBase;
  history: HistoryEvent[];
}

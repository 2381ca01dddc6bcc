import type { Model } from "mongoose";
import { SnapshotModel } from "../db/snapshots.js";
import { ComplaintModel } from "./complaint.js";
import {
  AcknowledgementModel,
  ControlledDocumentModel,
  QualityObjectiveModel,
} from "./controlledDocument.js";
import { CorrectiveActionModel } from "./correctiveAction.js";
import { ConversationReferenceModel, ReminderDeliveryModel } from "./delivery.js";
import { DeliveryClaimModel } from "./deliveryClaim.js";
import { DueSlotModel } from "./dueSlot.js";
import { HistoryAnchorModel, HistoryEventModel, StreamHeadModel } from "./historyEvent.js";
import { ImprovementIdeaModel } from "./improvementIdea.js";
import { InternalAuditModel, ManagementReviewModel } from "./internalAudit.js";
import { MemberModel } from "./member.js";
import type { RecordBase } from "./recordBase.js";
import { WorkspaceModel } from "./workspace.js";

/** Record kinds with a history, their model and (for referenced kinds) their prefix. */
export const RECORD_KINDS = {
  complaint: { model: ComplaintModel, prefix: "CMP" },
  idea: { model: ImprovementIdeaModel, prefix: "IDEA" },
  action: { model: CorrectiveActionModel, prefix: "CA" },
  audit: { model: InternalAuditModel, prefix: "AUD" },
  review: { model: ManagementReviewModel, prefix: "MR" },
  document: { model: ControlledDocumentModel, prefix: "DOC" },
  objective: { model: QualityObjectiveModel, prefix: "OBJ" },
  acknowledgement: { model: AcknowledgementModel, prefix: null },
  member: { model: MemberModel, prefix: null },
  workspace: { model: WorkspaceModel, prefix: null },
} as const;

export type RecordKind = keyof typeof RECORD_KINDS;

export function isRecordKind(kind: string): kind is RecordKind {
  return Object.hasOwn(RECORD_KINDS, kind);
}

/** The model of a kind, seen through the fields every record shares. */
export function recordModel(kind: RecordKind): Model<RecordBase> {
  // Each concrete model stores a RecordBase plus its own fields; the history engine only
  // touches the shared ones and the fields named in events.
  return RECORD_KINDS[kind].model as unknown as Model<RecordBase>;
}

export const ALL_MODELS = [
  ...Object.values(RECORD_KINDS).map((k) => k.model as unknown as Model<unknown>),
  HistoryEventModel,
  HistoryAnchorModel,
  StreamHeadModel,
  ReminderDeliveryModel,
  DeliveryClaimModel,
  DueSlotModel,
  ConversationReferenceModel,
  SnapshotModel,
] as Model<unknown>[];

export {
  AcknowledgementModel,
  ComplaintModel,
  ControlledDocumentModel,
  ConversationReferenceModel,
  CorrectiveActionModel,
  DeliveryClaimModel,
  DueSlotModel,
  HistoryAnchorModel,
  HistoryEventModel,
  ImprovementIdeaModel,
  InternalAuditModel,
  ManagementReviewModel,
  MemberModel,
  QualityObjectiveModel,
  ReminderDeliveryModel,
  StreamHeadModel,
  WorkspaceModel,
};

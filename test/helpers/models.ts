/** The stored collections tests look into, from where each lives. */
export { HistoryEventModel } from "../../src/db/historyModels.js";
export {
  ContactModel as ConversationReferenceModel,
  DeliveryModel as ReminderDeliveryModel,
} from "../../src/outbox/models.js";
export { CorrectiveActionModel } from "../../src/records/action/model.js";
export { InternalAuditModel } from "../../src/records/audit/model.js";
export { ComplaintModel } from "../../src/records/complaint/model.js";
export { ControlledDocumentModel } from "../../src/records/document/model.js";
export { ImprovementIdeaModel } from "../../src/records/idea/model.js";
export { MemberModel } from "../../src/records/member/model.js";
export { NonconformingOutputModel } from "../../src/records/nc/model.js";
export { QualityObjectiveModel } from "../../src/records/objective/index.js";
export { AcknowledgementModel } from "../../src/records/policy/model.js";
export { ManagementReviewModel } from "../../src/records/review/model.js";
export { WorkspaceModel } from "../../src/records/workspace/model.js";

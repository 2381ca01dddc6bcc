import { actionKind } from "./action/index.js";
import { auditKind } from "./audit/index.js";
import { complaintKind } from "./complaint/index.js";
import { documentKind } from "./document/index.js";
import { ideaKind } from "./idea/index.js";
import type { RecordKindDef } from "./kind.js";
import { ncKind } from "./nc/index.js";
import { objectiveKind } from "./objective/index.js";
import { policyKind } from "./policy/index.js";
import { registerDef } from "./refs.js";
import { reviewKind } from "./review/index.js";
import "./member/model.js";
import "./workspace/model.js";

/**
 * Every kind of QMS record, one line each. Commands, help, button and form routing, reference
 * parsing and the "show a record" list are derived from this list; a new kind is its folder and
 * a line here (plus both manifests, README and its tests).
 */
export const RECORD_KINDS: readonly RecordKindDef[] = [
  complaintKind,
  ideaKind,
  actionKind,
  ncKind,
  auditKind,
  reviewKind,
  policyKind,
  documentKind,
  objectiveKind,
];

for (const def of RECORD_KINDS) registerDef(def);

import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";
import type { WorkingHours } from "../../time/workingHours.js";

export const ROLES = ["qm", "top_management", "auditor"] as const;
export type Role = (typeof ROLES)[number];

/** Days from logging to the due date, per severity. */
export interface SeveritySla {
  low: number;
  medium: number;
  high: number;
  critical: number;
}
export const DEFAULT_SLA_DAYS: SeveritySla = { low: 30, medium: 14, high: 5, critical: 1 };

export interface AuditProgrammeEntry {
  process: string;
  /** Audits per year: 1 = yearly, 2 = twice a year (a high-risk process), … */
  perYear: number;
  owner: PersonRef | null;
}

/**
 * A Slack workspace or a Teams tenant, its QMS settings, and the rules that span its records:
 * who holds which role (so "no quality manager left" is refused by the write that would cause
 * it) and which policy version is current (so two publications at once leave one published).
 * Keyed `<workspaceId>/workspace`.
 */
export interface Workspace extends RecordBase {
  platform: "slack" | "teams";
  externalId: string;
  setupBy: PersonRef;
  qualityChannelId: string | null;
  slaDays: SeveritySla;
  workingHours: WorkingHours;
  /** Whether guest accounts count as members (asked to acknowledge the policy). */
  includeGuests: boolean;
  /** IANA time zone of the workspace: its dates, and the weekly digest at Monday 09:00. */
  timezone: string;
  auditProgramme: AuditProgrammeEntry[];
  /** Days before an audit its auditor and auditees are reminded (default 14 and 1). */
  auditReminderDays: number[];
  /** Days a corrective action from a major and from a minor nonconformity gets (default 30 and 60). */
  findingActionDays?: { major_nc: number; minor_nc: number };
  /** Role holders by user id (absent in workspaces set up before roles moved here). */
  roles?: Record<string, { name: string; roles: Role[] }>;
  /** The published quality policy version (POL-v3), or null. */
  currentPolicy?: string | null;
}

const workspaceSchema = new Schema<Workspace>(
  {
    ...recordBaseFields,
    platform: { type: String, enum: ["slack", "teams"], required: true },
    externalId: { type: String, required: true },
    setupBy: { type: { id: String, name: String }, _id: false, required: true },
    qualityChannelId: { type: String, default: null },
    slaDays: {
      type: { low: Number, medium: Number, high: Number, critical: Number },
      _id: false,
      default: () => ({ ...DEFAULT_SLA_DAYS }),
    },
    includeGuests: { type: Boolean, default: false },
    timezone: { type: String, default: "UTC" },
    auditReminderDays: { type: [Number], default: () => [14, 1] },
    findingActionDays: { type: { major_nc: Number, minor_nc: Number, _id: false }, default: undefined },
    auditProgramme: {
      type: [
        {
          process: String,
          perYear: Number,
          owner: { type: { id: String, name: String }, _id: false, default: null },
          _id: false,
        },
      ],
      default: [],
    },
    workingHours: {
      type: { start: String, end: String, days: [Number] },
      _id: false,
      default: () => ({ start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] }),
    },
    roles: { type: Schema.Types.Mixed, default: undefined },
    currentPolicy: { type: String, default: undefined },
  },
  { ...recordSchemaOptions, collection: "workspaces" },
);

export const WorkspaceModel = defineRecordModel<Workspace>("workspace", "Workspace", workspaceSchema);

export const workspaceKey = (workspaceId: string) => `${workspaceId}/workspace`;

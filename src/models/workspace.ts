import mongoose, { Schema } from "mongoose";
import { type PersonRef, type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

/** Days from logging to the due date, per severity. */
export interface SeveritySla {
  low: number;
  medium: number;
  high: number;
  critical: number;
}
export const DEFAULT_SLA_DAYS: SeveritySla = { low: 30, medium: 14, high: 5, critical: 1 };

/** A Slack workspace or a Teams tenant and its QMS settings; keyed `<workspaceId>/workspace`. */
export interface Workspace extends RecordBase {
  platform: "slack" | "teams";
  externalId: string;
  setupBy: PersonRef;
  qualityChannelId: string | null;
  slaDays: SeveritySla;
  workingHours: { start: string; end: string; days: number[] };
  /** Whether guest accounts count as members (asked to acknowledge the policy). */
  includeGuests: boolean;
  /** IANA time zone of the workspace: the weekly digest goes out Monday 09:00 here. */
  timezone: string;
  /** The audit programme: how often each process is audited, and who owns it. */
  auditProgramme: AuditProgrammeEntry[];
  /** Days before an audit its auditor and auditees are reminded (default 14 and 1). */
  auditReminderDays: number[];
}

export interface AuditProgrammeEntry {
  process: string;
  /** Audits per year: 1 = yearly, 2 = twice a year (a high-risk process), … */
  perYear: number;
  owner: PersonRef | null;
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
  },
  { ...recordSchemaOptions, collection: "workspaces" },
);

export const WorkspaceModel = mongoose.model<Workspace>("Workspace", workspaceSchema);

import { createRecord, loadRecord, transition } from "../db/history.js";
import { QopsError } from "../errors.js";
import { type Member, MemberModel, type Role } from "../models/member.js";
import type { PersonRef } from "../models/recordBase.js";
import { type Workspace, WorkspaceModel } from "../models/workspace.js";
import { SingleFlight } from "../util/singleFlight.js";
import { type CommandContext, formatWhen } from "./context.js";

export const workspaceKey = (workspaceId: string) => `${workspaceId}/workspace`;
export const memberKey = (workspaceId: string, userId: string) => `${workspaceId}/member/${userId}`;

const ROLE_NAMES: Record<Role, string> = {
  qm: "quality manager",
  top_management: "top management",
  auditor: "auditor",
};
export const roleName = (role: Role) => ROLE_NAMES[role];

const workspaceReads = new SingleFlight<Workspace | null>();

/** The workspace's settings; every command but setup needs a set-up workspace. */
export async function requireWorkspace(ctx: CommandContext): Promise<Workspace> {
  // Permission reads use the document: each transition updates it in the same request, and a
  // crash in between is repaired at start-up. Concurrent requests share one read.
  const workspace = await workspaceReads.run(ctx.workspaceId, async () => {
    return (await WorkspaceModel.findById(workspaceKey(ctx.workspaceId)).lean()) as Workspace | null;
  });
  if (!workspace) {
    throw new QopsError(
      "not_set_up",
      "QOps is not set up in this workspace yet. A quality manager starts with `/qms setup`.",
    );
  }
  return workspace as Workspace;
}

/** The member record of a person, created on first contact (everyone is an employee). */
export async function ensureMember(ctx: CommandContext, person: PersonRef = ctx.actor): Promise<Member> {
  const existing = await MemberModel.findById(memberKey(ctx.workspaceId, person.id)).lean();
  if (existing) return existing as Member;
  const { record } = await createRecord<Member>({
    kind: "member",
    workspaceId: ctx.workspaceId,
    stream: `${ctx.workspaceId}/member`,
    keyFor: () => ({ recordKey: memberKey(ctx.workspaceId, person.id), ref: null }),
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: `member:${person.id}`,
    type: "joined",
    fields: { userId: person.id, name: person.name, tz: "UTC", roles: [], active: true, isGuest: false },
  });
  return record;
}

export async function hasRole(ctx: CommandContext, role: Role): Promise<boolean> {
  const member = await MemberModel.findById(memberKey(ctx.workspaceId, ctx.actor.id)).lean();
  return Boolean(member?.active && member.roles.includes(role));
}

/** Throws a clear refusal unless the person asking holds `role`. */
/** Who holds a role, as a sentence says it: "a quality manager", "top management". */
const ROLE_HOLDER: Record<Role, string> = {
  qm: "a quality manager",
  top_management: "top management",
  auditor: "an auditor",
};

export async function requireRole(ctx: CommandContext, role: Role, toDoWhat: string): Promise<void> {
  if (await hasRole(ctx, role)) return;
  const holders = await namesWithRole(ctx.workspaceId, role);
  throw new QopsError(
    "forbidden",
    `Only ${ROLE_HOLDER[role]} can ${toDoWhat}. Nothing was changed.${holders ? ` Ask ${holders}.` : ""}`,
  );
}

export async function namesWithRole(workspaceId: string, role: Role): Promise<string> {
  const members = await MemberModel.find({ workspaceId, roles: role, active: true }).lean();
  return members.map((m) => m.name).join(", ");
}

export interface RoleChange {
  member: Member;
  role: Role;
  granted: boolean;
}

/** A QM grants or revokes a role; the last quality manager cannot be removed. */
export async function changeRole(
  ctx: CommandContext,
  target: PersonRef,
  role: Role,
  grant: boolean,
): Promise<RoleChange> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "change roles");
  await ensureMember(ctx, target);
  if (!grant && role === "qm") {
    const qms = await MemberModel.find({ workspaceId: ctx.workspaceId, roles: "qm", active: true }).lean();
    if (qms.length === 1 && qms[0]?.userId === target.id) {
      throw new QopsError(
        "invalid_transition",
        `${target.name} is the only quality manager; grant the role to someone else first. Nothing was changed.`,
      );
    }
  }
  const { record } = await transition<Member>({
    kind: "member",
    recordKey: memberKey(ctx.workspaceId, target.id),
    type: grant ? "role_granted" : "role_revoked",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: (member, last) => {
      const has = member.roles.includes(role);
      if (has === grant) {
        throw new QopsError(
          "invalid_transition",
          `${member.name} ${grant ? "is already" : "is not"} ${roleName(role)} (last change by ${last.actor.name}, ${formatWhen(last.at)}). Nothing was changed.`,
        );
      }
      return { roles: grant ? [...member.roles, role] : member.roles.filter((r) => r !== role) };
    },
  });
  return { member: record, role, granted: grant };
}

export interface RoleListing {
  role: Role;
  members: Pick<Member, "userId" | "name">[];
}

export async function listRoles(ctx: CommandContext): Promise<RoleListing[]> {
  await requireWorkspace(ctx);
  const members = await MemberModel.find({ workspaceId: ctx.workspaceId, active: true }).lean();
  return (["qm", "top_management", "auditor"] as const).map((role) => ({
    role,
    members: members.filter((m) => m.roles.includes(role)).map((m) => ({ userId: m.userId, name: m.name })),
  }));
}

export async function loadMember(workspaceId: string, userId: string): Promise<Member | null> {
  return loadRecord<Member>("member", memberKey(workspaceId, userId));
}

const ROLE_WORDS: Record<string, Role> = {
  qm: "qm",
  "quality-manager": "qm",
  quality_manager: "qm",
  top_management: "top_management",
  "top-management": "top_management",
  top: "top_management",
  auditor: "auditor",
};

/** A role as people type it (`qm`, `top-management`, `auditor` …), or undefined. */
export function roleFromWord(word: string | undefined): Role | undefined {
  return ROLE_WORDS[(word ?? "").toLowerCase()];
}

import type { CommandContext } from "../../commands/context.js";
import { loadRecord, transition } from "../../db/history.js";
import { dbWarning } from "../../db/warnings.js";
import { QopsError } from "../../errors.js";
import { isZone } from "../../time/zone.js";
import { SingleFlight } from "../../util/singleFlight.js";
import { cmd, rich } from "../../views/rich.js";
import { type Member, MemberModel } from "../member/model.js";
import { type Role, type Workspace, workspaceKey } from "./model.js";

const ROLE_NAMES: Record<Role, string> = {
  qm: "quality manager",
  top_management: "top management",
  auditor: "auditor",
};
export const roleName = (role: Role) => ROLE_NAMES[role];

/** Who holds a role, as a sentence says it: "a quality manager", "top management". */
export const ROLE_HOLDER: Record<Role, string> = {
  qm: "a quality manager",
  top_management: "top management",
  auditor: "an auditor",
};

/** The same, for a sentence about all who hold it: "quality managers, top management and auditors". */
export const ROLE_HOLDERS: Record<Role, string> = {
  qm: "quality managers",
  top_management: "top management",
  auditor: "auditors",
};

export function holdersSentence(roles: readonly Role[]): string {
  const words = roles.map((r) => ROLE_HOLDERS[r]);
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words.at(-1)}` : (words[0] ?? "");
}

const reads = new SingleFlight<Workspace | null>();
const loaded = new WeakMap<CommandContext, Promise<Workspace>>();

/**
 * The workspace's settings and role holders as of its last event (its document brought up to
 * date, so a role revoked a moment ago is revoked here). Every command but setup needs a
 * set-up workspace. Read once per request, and shared by identical concurrent requests.
 */
export function requireWorkspace(ctx: CommandContext): Promise<Workspace> {
  let promise = loaded.get(ctx);
  if (!promise) {
    promise = readWorkspace(ctx.workspaceId).then((workspace) => {
      if (!workspace)
        throw new QopsError(
          "not_set_up",
          rich`QOps is not set up in this workspace yet. A quality manager starts with ${cmd("qms setup")}.`,
        );
      return workspace;
    });
    loaded.set(ctx, promise);
  }
  return promise;
}

export async function readWorkspace(workspaceId: string): Promise<Workspace | null> {
  const workspace = await reads.run(workspaceId, () =>
    loadRecord<Workspace>("workspace", workspaceKey(workspaceId)),
  );
  if (workspace && !workspace.roles) return migrateRoles(workspace);
  return workspace;
}

/**
 * Workspaces set up before roles were kept on the workspace record: their members' roles are
 * copied onto it once, as an event of its own.
 */
async function migrateRoles(workspace: Workspace): Promise<Workspace> {
  const members = (await MemberModel.find({ workspaceId: workspace.workspaceId }).lean()) as Member[];
  const roles: NonNullable<Workspace["roles"]> = {};
  for (const m of members)
    if (m.active && m.roles?.length) roles[m.userId] = { name: m.name, roles: m.roles as Role[] };
  try {
    const { record } = await transition<Workspace>({
      kind: "workspace",
      recordKey: workspace._id,
      type: "roles_moved_to_workspace",
      actor: { id: "system", name: "QOps upgrade" },
      idempotencyKey: "roles-migration",
      reason: "roles are now kept on the workspace record",
      decide: () => ({ fields: { roles } }),
    });
    return record;
  } catch (error) {
    // Another process migrated it first (or there was nothing to copy): read it again.
    if (!(error instanceof QopsError)) throw error;
    return (await loadRecord<Workspace>("workspace", workspace._id)) ?? workspace;
  }
}

export function rolesOf(workspace: Workspace, userId: string): Role[] {
  return workspace.roles?.[userId]?.roles ?? [];
}

export async function hasRole(ctx: CommandContext, role: Role): Promise<boolean> {
  return rolesOf(await requireWorkspace(ctx), ctx.actor.id).includes(role);
}

export function holders(workspace: Workspace, role: Role): { id: string; name: string }[] {
  return Object.entries(workspace.roles ?? {})
    .filter(([, v]) => v.roles.includes(role))
    .map(([id, v]) => ({ id, name: v.name || id }));
}

/** Throws a clear refusal, naming who can, unless the person asking holds one of `roles`. */
export async function requireRole(
  ctx: CommandContext,
  role: Role | Role[],
  toDoWhat: string,
): Promise<Workspace> {
  const workspace = await requireWorkspace(ctx);
  const wanted = Array.isArray(role) ? role : [role];
  const mine = rolesOf(workspace, ctx.actor.id);
  if (wanted.some((r) => mine.includes(r))) return workspace;
  throw forbidden(workspace, wanted, toDoWhat);
}

export function forbidden(workspace: Workspace, roles: Role[], toDoWhat: string): QopsError {
  const who = roles.map((r) => ROLE_HOLDER[r]).join(" or ");
  const names = [...new Set(roles.flatMap((r) => holders(workspace, r).map((h) => h.name)))];
  return new QopsError(
    "forbidden",
    `Only ${who} can ${toDoWhat}. Nothing was changed.${names.length ? ` Ask ${names.join(", ")}.` : ""}`,
  );
}

const badZones = new Set<string>();

/**
 * The workspace's zone, for its calendar days. A bad value is refused when it is set; one found
 * stored anyway (an engine's zone list changed, data edited by hand) counts in UTC and is logged,
 * once per workspace and value, never silently.
 */
export function zoneOf(workspace: Workspace): string {
  if (isZone(workspace.timezone)) return workspace.timezone;
  const key = `${workspace.workspaceId}|${String(workspace.timezone)}`;
  if (workspace.timezone && !badZones.has(key)) {
    badZones.add(key);
    dbWarning(null, "the workspace's stored time zone is not a zone; its days are counted in UTC", {
      workspaceId: workspace.workspaceId,
      timezone: String(workspace.timezone).slice(0, 60),
    });
  }
  return "UTC";
}

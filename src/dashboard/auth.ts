import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Schema } from "mongoose";
import type { CommandContext } from "../commands/context.js";
import { defineModel } from "../db/kinds.js";
import { readWorkspace, requireRole, rolesOf } from "../records/workspace/access.js";
import type { Role, Workspace } from "../records/workspace/model.js";

/** Who may open the dashboard: those who see every register. */
export const DASHBOARD_ROLES: Role[] = ["qm", "top_management", "auditor"];
export const SIGN_IN_MS = 10 * 60_000;
export const SESSION_MS = 8 * 3_600_000;
export const COOKIE = "qops_dashboard";

interface Pass {
  /** SHA-256 of the secret the person holds (a link's token, a cookie): the secret is never stored. */
  _id: string;
  workspaceId: string;
  userId: string;
  name: string;
  expiresAt: Date;
  /** Sign-in links only: when it was used (one use). */
  usedAt: Date | null;
}

const passSchema = (collection: string) =>
  new Schema<Pass>(
    {
      _id: { type: String, required: true },
      workspaceId: { type: String, required: true },
      userId: { type: String, required: true },
      name: { type: String, required: true },
      expiresAt: { type: Date, required: true },
      usedAt: { type: Date, default: null },
    },
    { collection, versionKey: false },
  );
const SignInModel = defineModel<Pass>("DashboardSignIn", passSchema("dashboard_sign_ins"));
const SessionModel = defineModel<Pass>("DashboardSession", passSchema("dashboard_sessions"));

const digest = (secret: string) => createHash("sha256").update(secret).digest("hex");
const secret = () => randomBytes(24).toString("base64url");

/** `qms dashboard`: a sign-in token for this person in this workspace, after the role check. */
export async function issueSignIn(ctx: CommandContext): Promise<{ token: string; expiresAt: Date }> {
  await requireRole(ctx, DASHBOARD_ROLES, "open the quality dashboard");
  const token = secret();
  const expiresAt = new Date(ctx.now.getTime() + SIGN_IN_MS);
  await SignInModel.create({
    _id: digest(token),
    workspaceId: ctx.workspaceId,
    userId: ctx.actor.id,
    name: ctx.actor.name,
    expiresAt,
    usedAt: null,
  });
  return { token, expiresAt };
}

export type Redeemed = { session: string; expiresAt: Date } | "expired" | "used" | "invalid";

/** Uses a sign-in token (a conditional update: of two uses exactly one wins) and opens a session. */
export async function redeem(token: string, now: Date): Promise<Redeemed> {
  const taken = await SignInModel.findOneAndUpdate(
    { _id: digest(token), usedAt: null },
    { $set: { usedAt: now } },
    { returnDocument: "before" },
  ).lean();
  if (!taken) return (await SignInModel.findById(digest(token)).lean()) ? "used" : "invalid";
  if (taken.expiresAt <= now) return "expired";
  const session = secret();
  const expiresAt = new Date(now.getTime() + SESSION_MS);
  await SessionModel.create({ ...taken, _id: digest(session), expiresAt, usedAt: null });
  return { session, expiresAt };
}

export interface Viewer {
  workspace: Workspace;
  userId: string;
  name: string;
  roles: Role[];
}

/**
 * The person a request's session cookie names, with their roles read afresh (a role revoked a
 * minute ago closes the dashboard); null without a live session or a dashboard role.
 */
export async function viewerOf(req: IncomingMessage, now: Date): Promise<Viewer | "no_session" | "no_role"> {
  const cookie = (req.headers.cookie ?? "")
    .split(";")
    .map((c) => c.trim().split("="))
    .find(([name]) => name === COOKIE)?.[1];
  if (!cookie) return "no_session";
  const session = await SessionModel.findById(digest(cookie)).lean();
  if (!session || session.expiresAt <= now) return "no_session";
  const workspace = await readWorkspace(session.workspaceId);
  const roles = workspace ? rolesOf(workspace, session.userId) : [];
  if (!workspace || !roles.some((r) => DASHBOARD_ROLES.includes(r))) return "no_role";
  return { workspace, userId: session.userId, name: session.name, roles };
}

export const sessionCookie = (session: string, secure: boolean) =>
  `${COOKIE}=${session}; Path=/dashboard; HttpOnly; SameSite=Lax; Max-Age=${SESSION_MS / 1000}${secure ? "; Secure" : ""}`;

import type { IncomingMessage, ServerResponse } from "node:http";
import { loadRecord } from "../db/history.js";
import type { RecordBase } from "../db/recordBase.js";
import { eventsOf } from "../evidence/collect.js";
import type { RecordKindDef } from "../records/kind.js";
import { allDefs, defForRef } from "../records/refs.js";
import { webSettings } from "../web/settings.js";
import { redeem, sessionCookie, type Viewer, viewerOf } from "./auth.js";
import { overviewFigures } from "./figures.js";
import { messagePage, overviewPage, type RegisterRow, recordPage, registerPage } from "./pages.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const send = (res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "content-security-policy":
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
    "referrer-policy": "no-referrer",
    ...headers,
  });
  res.end(html);
};

const query = (req: IncomingMessage) => new URL(req.url ?? "/", "http://qops.invalid").searchParams;

/** The kinds a viewer sees the register of (every dashboard role sees most; the kind may narrow). */
const visibleKinds = (viewer: Viewer): RecordKindDef[] =>
  allDefs().filter((d) => !d.registerRoles || d.registerRoles.some((r) => viewer.roles.includes(r)));

const titleOf = (r: Record<string, unknown>) =>
  String(r.title ?? r.what ?? r.problem ?? r.name ?? r.process ?? r.summary ?? "");

/**
 * The dashboard's pages: sign-in by a one-use link, then a session cookie; every page checks the
 * session and the person's roles again, and reads only the session's workspace.
 */
export function dashboardRoutes(now: () => Date): Record<string, Handler> {
  const guarded =
    (page: (viewer: Viewer, req: IncomingMessage, res: ServerResponse) => Promise<void>): Handler =>
    async (req, res) => {
      const viewer = await viewerOf(req, now());
      if (viewer === "no_session")
        return send(
          res,
          401,
          messagePage(
            "Sign in",
            "Sign in with the link QOps gives you: type qms dashboard in Slack or Teams.",
          ),
        );
      if (viewer === "no_role")
        return send(
          res,
          403,
          messagePage(
            "No access",
            "The dashboard is for quality managers, top management and auditors; you hold none of these roles now.",
          ),
        );
      await page(viewer, req, res);
    };
  return {
    "GET /dashboard/signin": async (req, res) => {
      const result = await redeem(query(req).get("token") ?? "", now());
      if (result === "invalid")
        return send(
          res,
          403,
          messagePage(
            "Sign-in refused",
            "This sign-in link is not valid. Type qms dashboard in chat for a new one.",
          ),
        );
      if (result === "used")
        return send(
          res,
          403,
          messagePage(
            "Sign-in refused",
            "This sign-in link was already used; each link works once. Type qms dashboard in chat for a new one.",
          ),
        );
      if (result === "expired")
        return send(
          res,
          410,
          messagePage(
            "Sign-in refused",
            "This sign-in link expired (links work for 10 minutes). Type qms dashboard in chat for a new one.",
          ),
        );
      const secure = webSettings().publicUrl.startsWith("https:");
      res.writeHead(303, {
        location: "/dashboard",
        "set-cookie": sessionCookie(result.session, secure),
        "cache-control": "no-store",
      });
      res.end();
    },
    "GET /dashboard": guarded(async (viewer, _req, res) => {
      const started = performance.now();
      const figures = await overviewFigures(viewer.workspace, now());
      send(res, 200, overviewPage(viewer, figures), {
        "server-timing": `figures;dur=${(performance.now() - started).toFixed(1)}`,
      });
    }),
    "GET /dashboard/register": guarded(async (viewer, req, res) => {
      const q = query(req);
      const kinds = visibleKinds(viewer);
      const chosen = kinds.find((k) => k.id === q.get("kind")) ?? kinds[0];
      if (!chosen) return send(res, 404, messagePage("No registers", "No register is open to your roles."));
      const state = q.get("state") ?? "";
      const text = (q.get("q") ?? "").trim().toLowerCase();
      const all = (
        (await chosen.model.find({ workspaceId: viewer.workspace.workspaceId }).lean()) as RecordBase[]
      ).filter((r) => !chosen.accepts || chosen.accepts(r));
      const states = [...new Set(all.map((r) => String((r as unknown as { state?: string }).state ?? "")))]
        .filter(Boolean)
        .sort();
      const rows: RegisterRow[] = all
        .map((r) => {
          const plain = r as unknown as Record<string, unknown>;
          return {
            ref: r.ref ?? r._id,
            state: String(plain.state ?? ""),
            title: titleOf(plain),
            createdAt: r.createdAt,
            updatedAt: r.updatedAt,
          };
        })
        .filter(
          (r) =>
            (!state || r.state === state) && (!text || `${r.ref} ${r.title}`.toLowerCase().includes(text)),
        )
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      send(
        res,
        200,
        registerPage(viewer, kinds, chosen, { state, q: text }, states, rows.slice(0, 200), rows.length),
      );
    }),
    "GET /dashboard/record": guarded(async (viewer, req, res) => {
      const ref = query(req).get("ref") ?? "";
      const def = defForRef(ref);
      const visible = def && visibleKinds(viewer).includes(def);
      const record = visible
        ? await loadRecord<RecordBase>(def.kind, `${viewer.workspace.workspaceId}/${ref}`)
        : null;
      if (!def || !record || (def.accepts && !def.accepts(record)))
        return send(
          res,
          404,
          messagePage(
            "Not found",
            `There is no record "${ref.slice(0, 40)}" in this workspace that your roles may see.`,
          ),
        );
      const events = (await eventsOf([record])).get(record._id) ?? [];
      send(res, 200, recordPage(viewer, record, events, chatLink(viewer, def, record)));
    }),
  };
}

/** Where the record's post is in chat, where the platform has a link for it. */
function chatLink(viewer: Viewer, def: RecordKindDef, record: RecordBase): string | null {
  const plain = record as unknown as Record<string, { channelId?: string; ts?: string } | null>;
  const post = def.postField ? plain[def.postField] : null;
  if (!post?.channelId || !post.ts) return null;
  const [platform, team] = viewer.workspace.workspaceId.split(":");
  if (platform === "slack")
    return `https://slack.com/app_redirect?team=${encodeURIComponent(team ?? "")}&channel=${encodeURIComponent(post.channelId)}`;
  return `https://teams.microsoft.com/l/message/${encodeURIComponent(post.channelId)}/${encodeURIComponent(post.ts)}?tenantId=${encodeURIComponent(team ?? "")}`;
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { waitFor } from "./poll.js";

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  /** For replies and updates: the activity id in the path. */
  activityId: string | null;
  body: Record<string, unknown>;
  at: number;
}

export interface ConnectorFault {
  status: number;
  retryAfter?: number;
  /** The activity is posted (the member sees it), and then the answer is this fault anyway. */
  afterPosting?: boolean;
}

export interface RosterEntry {
  id: string;
  name: string;
  aadObjectId: string;
  userRole?: "user" | "guest";
}

/**
 * A local Bot Framework connector (REST v3) that records what the bot sends: replies,
 * proactive messages, card updates, new personal conversations; serves team rosters; and
 * answers like the real service: 429 with Retry-After above a per-tenant rate, or on demand.
 */
export class FakeConnector {
  readonly calls: ConnectorCall[] = [];
  /** Roster per team id, served by /pagedmembers (pages of `pageSize`). */
  readonly rosters = new Map<string, RosterEntry[]>();
  /** The keys the fake Bot Framework publishes (JWKs with their endorsements). */
  signingKeys: Record<string, unknown>[] = [];
  /** Requests per second accepted per tenant; above it, 429 with Retry-After: 1. */
  perSecond: number | null = null;
  /** How many requests the per-tenant rate refused with 429. */
  rateRefusals = 0;
  /** Activities posted (POST …/activities answered 200): a count, cheap to poll. */
  activitiesPosted = 0;
  private recent: number[] = [];
  private faults: { fault: ConnectorFault; where: (call: ConnectorCall) => boolean }[] = [];
  private server: Server | undefined;
  private next = 1;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** The next request matching `where` gets this answer instead (once). */
  failNextWhere(where: (call: ConnectorCall) => boolean, fault: ConnectorFault): void {
    this.faults.push({ fault, where });
  }

  /** Injected faults not yet answered. */
  get pendingFaults(): number {
    return this.faults.length;
  }

  /** Messages the bot posted (not updates), optionally in one conversation. */
  sent(conversationId?: string): ConnectorCall[] {
    return this.calls.filter(
      (c) =>
        c.method === "POST" &&
        c.path.includes("/activities") &&
        (!conversationId || c.conversationId === conversationId),
    );
  }

  updates(conversationId?: string): ConnectorCall[] {
    return this.calls.filter(
      (c) => c.method === "PUT" && (!conversationId || c.conversationId === conversationId),
    );
  }

  /** Waits until `find` finds something in the recorded calls (the tests' one polling helper). */
  waitFor<T>(find: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
    return waitFor(find, { timeoutMs, what: "the fake connector's calls to match" });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    const parts = url.pathname.split("/").map(decodeURIComponent);
    // /v3/conversations[/:id[/activities[/:activityId]|/pagedmembers|/members/:id]]
    const conversationId = parts[3] ?? "";
    const call: ConnectorCall = {
      method: req.method ?? "GET",
      path: url.pathname,
      conversationId,
      activityId: parts[4] === "activities" ? (parts[5] ?? null) : null,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      at: Date.now(),
    };
    const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    // The Bot Framework's OpenID metadata and signing keys, as login.botframework.com serves them.
    if (req.method === "GET" && url.pathname === "/.well-known/openidconfiguration")
      return reply(200, {
        issuer: "https://api.botframework.com",
        jwks_uri: `${this.url}/keys`,
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: ["private_key_jwt"],
      });
    if (req.method === "GET" && url.pathname === "/keys") return reply(200, { keys: this.signingKeys });
    const faultIndex = this.faults.findIndex((f) => f.where(call));
    if (faultIndex >= 0) {
      const fault = this.faults.splice(faultIndex, 1)[0]?.fault ?? { status: 500 };
      if (fault.afterPosting) this.calls.push(call);
      return reply(
        fault.status,
        { error: { code: "Fault", message: `injected ${fault.status}` } },
        fault.retryAfter ? { "retry-after": String(fault.retryAfter) } : {},
      );
    }
    if (this.perSecond !== null && req.method !== "GET") {
      const now = Date.now();
      this.recent = this.recent.filter((t) => t > now - 1000);
      if (this.recent.length >= this.perSecond) {
        this.rateRefusals++;
        return reply(429, { error: { code: "TooManyRequests" } }, { "retry-after": "1" });
      }
      this.recent.push(now);
    }
    this.calls.push(call);
    if (req.method === "POST" && parts.length === 3) {
      const members = (call.body.members as { id: string }[] | undefined) ?? [];
      return reply(200, { id: `a:personal-${members[0]?.id ?? "unknown"}` });
    }
    if (req.method === "POST" && parts[4] === "activities") {
      this.activitiesPosted++;
      return reply(200, { id: `activity-${this.next++}` });
    }
    if (req.method === "PUT" && parts[4] === "activities") return reply(200, { id: call.activityId });
    if (req.method === "GET" && parts[4] === "pagedmembers") {
      const roster = this.rosters.get(conversationId) ?? [];
      const start = Number(url.searchParams.get("continuationToken") ?? "0");
      const size = Number(url.searchParams.get("pageSize") ?? "100");
      const page = roster.slice(start, start + size);
      const more = start + size < roster.length;
      return reply(200, { members: page, ...(more ? { continuationToken: String(start + size) } : {}) });
    }
    if (req.method === "GET" && parts[4] === "members") {
      const member = [...this.rosters.values()].flat().find((m) => m.id === parts[5]);
      return member ? reply(200, member) : reply(404, { error: { code: "NotFound" } });
    }
    return reply(404, { error: { code: "NotFound", message: url.pathname } });
  }
}

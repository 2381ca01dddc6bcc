import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "./poll.js";

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** Answered 429 by the rolling-minute limit (not posted). */
  refused?: boolean;
}

export interface Fault {
  /** HTTP status to answer (429, 500…); 200 with `error` for Slack-level errors. */
  status?: number;
  retryAfter?: number;
  error?: string;
  /** Hold the response this long (a slow or timing-out Slack). */
  delayMs?: number;
  /** Post the message for real, then answer with the fault (Slack's internal_error after success). */
  afterPosting?: boolean;
}

export interface FakeUser {
  id: string;
  name: string;
  real_name: string;
  tz: string;
  is_bot?: boolean;
  deleted?: boolean;
  is_restricted?: boolean;
}

export interface PostedMessage {
  ts: string;
  text: unknown;
  blocks?: unknown;
  metadata: unknown;
}

/** A response_url post, as Slack receives it. */
export interface ResponsePost {
  id: string;
  body: Record<string, unknown>;
}

/**
 * A local Slack Web API that answers like Slack does and is no kinder: the bearer token is
 * checked; `ok`/`error`; 429 with Retry-After above a rolling per-minute limit (also for the
 * conversations.* look-ups, which have limits of their own); 5xx; a post that succeeds and then
 * answers with an error; `chat.update` refused for anything but a message the bot posted in that
 * channel (an ephemeral message is not one). It records every call and every response_url post.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponsePost[] = [];
  private server: Server | undefined;
  private faults = new Map<string, { fault: Fault; where: (args: Record<string, unknown>) => boolean }[]>();
  private ts = 1_700_000_000;
  url = "";
  users = new Map<string, { name: string; real_name: string; tz: string }>();
  /** Slack's workspace rate limit for chat.postMessage: at most this many per rolling minute. */
  postsPerMinute: number | null = null;
  /** The limit of conversations.open and conversations.history together, per rolling minute. */
  lookupsPerMinute: number | null = null;
  private recent = new Map<string, number[]>();
  /** The workspace's directory for users.list (paginated like Slack). */
  directory: FakeUser[] = [];
  /** Messages posted, per channel (DMs under the user id's D-channel), with their metadata. */
  readonly posted = new Map<string, PostedMessage[]>();
  /** 429s answered, per method. */
  readonly limited = new Map<string, number>();
  /** chat.postMessage calls answered as posted, without a fault (kept as a count: cheap to poll). */
  postCount = 0;

  constructor(private readonly token = "xoxb-test-token") {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  /** Messages in one person's DM with the bot. */
  dmsTo(userId: string): PostedMessage[] {
    return this.posted.get(this.dmChannel(userId)) ?? [];
  }

  /** The channel of one person's DM with the bot, as conversations.open answers. */
  dmChannel(userId: string): string {
    return `D${userId.slice(1)}`;
  }

  /** Whether a call posts into one person's DM (by D-channel, or by user id as Slack allows). */
  isDm(call: SlackCall, userId: string): boolean {
    return call.args.channel === this.dmChannel(userId) || call.args.channel === userId;
  }

  /** A chat.postMessage into one person's DM (that matches `where`, if given). */
  waitForDm(
    userId: string,
    where: (c: SlackCall) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<SlackCall> {
    return this.waitForCall("chat.postMessage", (c) => this.isDm(c, userId) && where(c), timeoutMs);
  }

  /** The next calls of `method` (that match `where`, if given) answer with these faults, in order. */
  failNext(method: string, ...faults: Fault[]): void {
    this.failNextWhere(method, () => true, ...faults);
  }

  failNextWhere(method: string, where: (args: Record<string, unknown>) => boolean, ...faults: Fault[]): void {
    this.faults.set(method, [
      ...(this.faults.get(method) ?? []),
      ...faults.map((fault) => ({ fault, where })),
    ]);
  }

  private takeFault(method: string, args: Record<string, unknown>): Fault | undefined {
    const queue = this.faults.get(method) ?? [];
    const index = queue.findIndex((f) => f.where(args));
    if (index < 0) return undefined;
    return queue.splice(index, 1)[0]?.fault;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.faults.clear();
    this.postCount = 0;
  }

  waitForCall(
    method: string,
    where: (c: SlackCall) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<SlackCall> {
    return waitFor(() => this.calls.find((c) => c.method === method && where(c)), {
      timeoutMs,
      what: `a ${method} call`,
    });
  }

  waitForResponse(
    id: string,
    where: (b: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    return waitFor(() => this.responses.find((r) => r.id === id && where(r.body))?.body, {
      what: `a response to ${id}`,
    });
  }

  /** Over a rolling minute's limit: the number of seconds until a slot frees, else null. */
  private limit(group: string, perMinute: number | null): number | null {
    if (perMinute === null) return null;
    const now = Date.now();
    const times = (this.recent.get(group) ?? []).filter((t) => t > now - 60_000);
    this.recent.set(group, times);
    if (times.length >= perMinute) return Math.max(1, Math.ceil(((times[0] ?? now) + 60_000 - now) / 1000));
    times.push(now);
    return null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = req.url ?? "";
    if (path.startsWith("/response/")) {
      this.responses.push({ id: path.slice("/response/".length), body: JSON.parse(raw || "{}") });
      return send(res, 200, { ok: true });
    }
    const method = path.replace(/^\/api\//, "").split("?")[0] ?? "";
    const args = parseArgs(raw, req.headers["content-type"] ?? "");
    const wait =
      method === "chat.postMessage"
        ? this.limit("post", this.postsPerMinute)
        : method.startsWith("conversations.")
          ? this.limit("lookup", this.lookupsPerMinute)
          : null;
    if (wait !== null) {
      this.calls.push({ method, args, at: Date.now(), refused: true });
      this.limited.set(method, (this.limited.get(method) ?? 0) + 1);
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(wait) });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    const fault = this.takeFault(method, args);
    this.calls.push({ method, args, at: Date.now() });
    if (method === "chat.postMessage" && !fault) this.postCount++;
    if (fault?.afterPosting) {
      this.answer(method, args);
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.status && fault.status >= 500)
        return send(res, fault.status, { ok: false, error: "internal_error" });
      return send(res, 200, { ok: false, error: fault.error ?? "internal_error" });
    }
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status === 429) {
      this.limited.set(method, (this.limited.get(method) ?? 0) + 1);
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(fault.retryAfter ?? 1),
      });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    if (fault?.status && fault.status >= 500)
      return send(res, fault.status, { ok: false, error: "internal_error" });
    if (fault?.error) return send(res, 200, { ok: false, error: fault.error });
    if (req.headers.authorization !== `Bearer ${this.token}` && args.token !== this.token)
      return send(res, 200, { ok: false, error: "invalid_auth" });
    send(res, 200, this.answer(method, args));
  }

  private channelOf(given: string): string {
    return given.startsWith("U") || given.startsWith("W") ? `D${given.slice(1)}` : given;
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "chat.postMessage": {
        if (!args.text && !args.blocks) return { ok: false, error: "no_text" };
        const ts = `${this.ts++}.000100`;
        const channel = this.channelOf(String(args.channel ?? ""));
        const list = this.posted.get(channel) ?? [];
        list.push({ ts, text: args.text, blocks: args.blocks ?? null, metadata: args.metadata ?? null });
        this.posted.set(channel, list);
        return { ok: true, channel, ts, message: { ts, text: args.text } };
      }
      case "chat.update": {
        // Slack edits only messages the app posted in that conversation; an ephemeral message is not one.
        const list = this.posted.get(String(args.channel ?? "")) ?? [];
        const message = list.find((m) => m.ts === String(args.ts ?? ""));
        if (!message) return { ok: false, error: "message_not_found" };
        message.text = args.text;
        message.blocks = args.blocks ?? null;
        return { ok: true, channel: args.channel, ts: args.ts };
      }
      case "conversations.open":
        return { ok: true, channel: { id: `D${String(args.users ?? "").slice(1)}` } };
      case "conversations.history": {
        const messages = [...(this.posted.get(String(args.channel)) ?? [])]
          .reverse()
          .slice(0, Number(args.limit ?? 100));
        return {
          ok: true,
          messages: messages.map((m) => ({ type: "message", ts: m.ts, text: m.text, metadata: m.metadata })),
        };
      }
      case "users.list": {
        const start = Number(args.cursor || 0);
        const limit = Number(args.limit ?? 200);
        const page = this.directory.slice(start, start + limit);
        const next = start + limit < this.directory.length ? String(start + limit) : "";
        return { ok: true, members: page, response_metadata: { next_cursor: next } };
      }
      case "chat.postEphemeral":
        return { ok: true, message_ts: `${this.ts++}.000200` };
      case "chat.getPermalink":
        return {
          ok: true,
          permalink: `https://example.slack.com/archives/${args.channel}/p${String(args.message_ts).replace(".", "")}`,
        };
      case "views.open":
      case "views.update":
      case "views.push":
        return { ok: true, view: { id: `V${this.ts++}` } };
      case "views.publish":
        return { ok: true, view: { id: `VH${this.ts++}` } };
      case "users.info": {
        const id = String(args.user ?? "");
        // Slack answers users.info for anyone in the workspace's directory, as users.list lists them.
        const user = this.users.get(id) ??
          this.directory.find((u) => u.id === id) ?? {
            name: id.toLowerCase(),
            real_name: `User ${id}`,
            tz: "UTC",
          };
        return { ok: true, user: { id, ...user } };
      }
      case "auth.test":
        return { ok: true, user_id: "UBOT", team_id: "T1", bot_id: "B1" };
      default:
        return { ok: false, error: "unknown_method" };
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes("application/json")) return JSON.parse(raw || "{}");
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client sends nested arguments (blocks, view) as JSON strings.
    try {
      args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    } catch {
      args[key] = value;
    }
  }
  return args;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type App,
  HTTPModuleFunctions,
  HTTPResponseAck,
  type Receiver,
  verifySlackRequest,
} from "@slack/bolt";
import type { Logger } from "../../logger.js";
import { readBody } from "../../util/body.js";

const MAX_BODY_BYTES = 1024 * 1024;
/** Slack's rule: a request signed more than five minutes before or after now is refused. */
const MAX_SKEW_S = 5 * 60;

type Body = Record<string, unknown>;

/**
 * Bolt's HTTP receiving, with the checks Bolt leaves out: a timestamp five minutes in the future
 * is as stale as one five minutes old; a body that is not a Slack payload (`payload=null`, JSON
 * `null`, an interaction with no user or workspace) is answered 400 at once instead of failing
 * inside Bolt with no answer; a body over the limit gets 413. Then Bolt's own acknowledgement
 * and dispatch take over.
 */
export class QopsSlackReceiver implements Receiver {
  private app: App | undefined;

  constructor(
    private readonly signingSecret: string,
    private readonly logger: Logger,
    private readonly now: () => number = () => Date.now(),
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  readonly requestListener = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === null) return answer(res, 413);
    const timestamp = Number(req.headers["x-slack-request-timestamp"]);
    const signature = String(req.headers["x-slack-signature"] ?? "");
    if (!Number.isFinite(timestamp) || Math.abs(Math.floor(this.now() / 1000) - timestamp) > MAX_SKEW_S) {
      this.logger.warn("Slack request refused: its timestamp is more than five minutes from now");
      return answer(res, 401);
    }
    try {
      verifySlackRequest({
        signingSecret: this.signingSecret,
        body: raw,
        headers: { "x-slack-signature": signature, "x-slack-request-timestamp": timestamp },
        nowMilliseconds: this.now(),
      });
    } catch {
      this.logger.warn("Slack request refused: bad signature");
      return answer(res, 401);
    }
    const body = parse(raw, String(req.headers["content-type"] ?? ""));
    if (!body) return answer(res, 400, "not a Slack payload");
    if (body.ssl_check === "1") return answer(res, 200);
    if (body.type === "url_verification") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ challenge: body.challenge }));
      return;
    }
    const problem = shapeProblem(body);
    if (problem) {
      this.logger.warn({ problem }, "Slack request refused: malformed payload");
      return answer(res, 400, problem);
    }
    const ack = new HTTPResponseAck({
      logger: boltLogger(this.logger),
      processBeforeResponse: false,
      httpRequest: req,
      httpRequestBody: body,
      httpResponse: res,
    });
    try {
      await this.app?.processEvent({
        body,
        ack: ack.bind(),
        retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req),
        retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req),
      });
    } catch (error) {
      this.logger.error({ err: error }, "a Slack listener failed");
      if (!res.headersSent) answer(res, 500);
    }
  };
}

function parse(raw: string, contentType: string): Body | null {
  try {
    if (contentType.includes("application/json")) return object(JSON.parse(raw));
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (typeof form.payload === "string") return object(JSON.parse(form.payload));
    return Object.keys(form).length ? form : null;
  } catch {
    return null;
  }
}

const object = (value: unknown): Body | null =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Body) : null;

const str = (v: unknown) => typeof v === "string" && v.length > 0;

/** What a payload of its kind must carry before anything acts on it. */
function shapeProblem(body: Body): string | null {
  if (str(body.command))
    return str(body.team_id) && str(body.user_id) ? null : "a slash command without team or user";
  if (body.type === "event_callback")
    return object(body.event) && str(body.team_id) ? null : "an event without team or event";
  if (typeof body.type === "string") {
    const user = object(body.user);
    const team = object(body.team);
    if (!user || !str(user.id)) return `a ${body.type} without a user`;
    if (!str(team?.id) && !str(user.team_id)) return `a ${body.type} without a workspace`;
    if (body.type === "view_submission" && !object(body.view)) return "a view submission without its view";
    return null;
  }
  return "not a Slack payload";
}

function answer(res: ServerResponse, status: number, error?: string): void {
  if (res.headersSent) return;
  res.writeHead(status, error ? { "content-type": "application/json" } : {});
  res.end(error ? JSON.stringify({ error }) : undefined);
}

/** Bolt's logger interface on top of pino, so Bolt never writes to the console directly. */
export function boltLogger(logger: Logger) {
  const child = logger.child({ component: "bolt" });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(" ")),
    info: (...msg: unknown[]) => child.debug(msg.map(String).join(" ")),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(" ")),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(" ")),
    setLevel: () => {},
    getLevel: () => "info" as never,
    setName: () => {},
  };
}

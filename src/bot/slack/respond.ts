import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

const TIMEOUT_MS = 10_000;
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

export class RespondFailed extends Error {
  constructor(readonly status: number) {
    super(`Slack answered ${status} to a response_url post`);
  }
}

/** What Bolt's `respond` takes: a text, or a message (blocks, response_type, replace_original…). */
type Message = string | Record<string, unknown>;

/**
 * Bolt's `respond()` (a post to the request's `response_url`) over kept-alive connections.
 * Bolt posts with `fetch`, whose streams, abort signals and request cloning were the largest
 * share of QOps's time per slash command after Bolt's own dispatch. Same contract: resolves
 * when Slack answered 2xx, rejects otherwise (the caller logs it with the record's reference).
 */
export function respondTo(responseUrl: string): (message: Message) => Promise<void> {
  return (message) => post(responseUrl, typeof message === "string" ? { text: message } : message);
}

function post(url: string, body: unknown): Promise<void> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  const secure = target.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      target,
      {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        timeout: TIMEOUT_MS,
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-length": Buffer.byteLength(payload),
        },
      },
      (res: IncomingMessage) => {
        res.resume();
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new RespondFailed(status));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("Slack did not answer the response_url post in time")));
    req.on("error", reject);
    req.end(payload);
  });
}

import http from "node:http";
import https from "node:https";

const agents: Record<string, http.Agent> = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 50 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 50 }),
};
const TIMEOUT_MS = 10_000;

/**
 * The `fetch` Bolt's `respond` posts to a response_url with: a string body over node:http on
 * kept-alive sockets, answered as a standard `Response`. It costs about a third of the CPU of
 * Node's fetch (undici's web streams) per reply, which is most of what an answered slash command
 * spends outside QOps's own work (see docs/PERFORMANCE.md). Anything else (a stream or form
 * body, an abort signal) goes to the global fetch unchanged.
 */
export const keptAliveFetch: typeof fetch = (input, init) => {
  const plain = typeof input === "string" || input instanceof URL;
  const body = init?.body;
  if (!plain || (body !== undefined && body !== null && typeof body !== "string") || init?.signal)
    return fetch(input, init);
  const url = new URL(input);
  const agent = agents[url.protocol];
  if (!agent) return fetch(input, init);
  const headers = Object.fromEntries(new Headers(init?.headers).entries());
  const transport = url.protocol === "https:" ? https : http;
  return new Promise<Response>((resolve, reject) => {
    const request = transport.request(
      url,
      { method: init?.method ?? "GET", headers, agent, timeout: TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          const replyHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers))
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
              replyHeaders.append(name, v);
          // A Response cannot carry a body with these statuses.
          const empty = status === 204 || status === 304;
          resolve(
            new Response(empty ? null : Buffer.concat(chunks), {
              status,
              statusText: response.statusMessage ?? "",
              headers: replyHeaders,
            }),
          );
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer from ${url.host} in ${TIMEOUT_MS} ms`)));
    request.on("error", reject);
    request.end(body ?? undefined);
  });
};

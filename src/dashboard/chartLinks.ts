import type { IncomingMessage, ServerResponse } from "node:http";
import { readWorkspace } from "../records/workspace/access.js";
import type { Block } from "../views/types.js";
import { checkLink, linkKey, signLink } from "../web/links.js";
import { webSettings } from "../web/settings.js";
import { chartPng } from "./charts.js";
import { overviewFigures } from "./figures.js";

export const CHART_PATH = "/charts/chart.png";
const PURPOSE = "chart-image";
/** Chat clients fetch a message's image when it is shown; a month covers a digest read late. */
const CHART_LINK_MS = 30 * 86_400_000;

/**
 * A chart of the overview as an image block for a chat message: a PNG QOps serves at a link
 * signed for that workspace and chart. Only when QOPS_PUBLIC_URL is set: Slack refuses a message
 * whose image it cannot fetch, and a guessed localhost address is not reachable from Slack.
 */
export async function chartBlock(
  workspaceId: string,
  figureId: string,
  alt: string,
  now: Date,
): Promise<Block[]> {
  const settings = webSettings();
  if (!settings.publicUrlSet) return [];
  const expires = new Date(now.getTime() + CHART_LINK_MS);
  const sig = signLink(await linkKey(), PURPOSE, `${workspaceId}|${figureId}`, expires);
  const query = new URLSearchParams({
    ws: workspaceId,
    fig: figureId,
    expires: String(expires.getTime()),
    sig,
  });
  return [{ type: "image", url: `${settings.publicUrl}${CHART_PATH}?${query}`, alt }];
}

/** `GET /charts/chart.png?…`: the chart as it is now, to a holder of a link QOps signed for it. */
export function chartRoute(now: () => Date) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const q = new URL(req.url ?? "/", "http://qops.invalid").searchParams;
    const ws = q.get("ws") ?? "";
    const fig = q.get("fig") ?? "";
    const check = checkLink(
      await linkKey(),
      PURPOSE,
      `${ws}|${fig}`,
      Number(q.get("expires")),
      q.get("sig") ?? "",
      now(),
    );
    const workspace = check === "ok" ? await readWorkspace(ws) : null;
    const figure = workspace
      ? (await overviewFigures(workspace, now())).find((f) => f.id === fig)
      : undefined;
    if (!figure) {
      res.writeHead(check === "expired" ? 410 : 403, { "content-type": "text/plain; charset=utf-8" });
      res.end(check === "expired" ? "This chart link expired.\n" : "This chart link is not valid.\n");
      return;
    }
    res.writeHead(200, { "content-type": "image/png", "cache-control": "private, max-age=300" });
    res.end(chartPng(figure, 480, 220));
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { ObjectId } from "mongodb";
import type { Logger } from "../logger.js";
import { formatInstant } from "../time/zone.js";
import { checkLink, linkKey } from "../web/links.js";
import { packBucket, packFileName } from "./build.js";
import { EvidencePackModel } from "./model.js";
import { DOWNLOAD_PURPOSE } from "./settings.js";

const say = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(`${text}\n`);
};

/**
 * `GET /evidence/download?pack=…&expires=…&sig=…`: the finished pack, to whoever holds a link
 * QOps signed for that pack and purpose, until it expires. Anything else is refused and says why.
 */
export function evidenceDownload(logger: Logger, now: () => Date) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://qops.invalid");
    const packId = url.searchParams.get("pack") ?? "";
    const expires = Number(url.searchParams.get("expires"));
    const sig = url.searchParams.get("sig") ?? "";
    const check = checkLink(await linkKey(), DOWNLOAD_PURPOSE, packId, expires, sig, now());
    if (check === "invalid")
      return say(
        res,
        403,
        "This download link is not valid (it was altered or is not a QOps evidence link).",
      );
    if (check === "expired")
      return say(
        res,
        410,
        `This download link expired at ${formatInstant(new Date(expires), "UTC")}. Ask QOps for a new pack with qms evidence.`,
      );
    const pack = await EvidencePackModel.findById(packId).lean();
    if (pack?.state !== "ready" || !pack.fileId)
      return say(res, 404, "This evidence pack is not available (it was removed or never finished).");
    res.writeHead(200, {
      "content-type": "application/zip",
      "content-disposition": `attachment; filename="${packFileName(pack)}"`,
      "content-length": String(pack.bytes ?? ""),
      "cache-control": "no-store",
      "x-content-sha256": pack.sha256 ?? "",
    });
    const stream = packBucket().openDownloadStream(new ObjectId(pack.fileId));
    stream.on("error", (error) => {
      logger.error({ err: error, packId }, "evidence pack download failed");
      res.destroy(error);
    });
    stream.pipe(res);
  };
}

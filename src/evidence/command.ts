import { createHash, randomBytes } from "node:crypto";
import { type CommandContext, requestKey } from "../commands/context.js";
import { isDuplicateKey } from "../db/history.js";
import { QopsError } from "../errors.js";
import { deliveryId, enqueueDeliveries } from "../outbox/enqueue.js";
import { wordsOf } from "../records/tokens.js";
import { requireRole, zoneOf } from "../records/workspace/access.js";
import { addDays, addMonths, dayOf, formatDay, parseDay } from "../time/zone.js";
import { answer, context, message, paragraph } from "../views/build.js";
import { at, cmd, link, type Rich, rich } from "../views/rich.js";
import type { Answer, MessageView, Token } from "../views/types.js";
import { linkKey, signLink } from "../web/links.js";
import { webSettings } from "../web/settings.js";
import { knownClauses, sectionsFor } from "./collect.js";
import { type EvidencePack, EvidencePackModel, newPack } from "./model.js";
import { DOWNLOAD_PATH, DOWNLOAD_PURPOSE } from "./settings.js";

export const USAGE =
  "qms evidence [FROM..TO] [clause 9.2|all], e.g. qms evidence 2026-01-01..2026-12-31 clause 9.2";

/** Sends the builder in this process to work (set by app.ts); the workers' job finds it otherwise. */
let kick: ((packId: string) => void) | undefined;
export function setPackKick(next: ((packId: string) => void) | undefined): void {
  kick = next;
}

interface Request {
  from: string;
  to: string;
  clause: string | null;
}

function parse(words: string[], today: string): Request {
  let from = addDays(addMonths(today, -12), 1);
  let to = today;
  let clause: string | null = null;
  for (let i = 0; i < words.length; i++) {
    const word = (words[i] ?? "").toLowerCase();
    const range = /^(\S+)\.\.(\S+)$/.exec(word);
    if (range) {
      const [a, b] = [parseDay(range[1]), parseDay(range[2])];
      if (!a || !b)
        throw new QopsError(
          "invalid_input",
          `"${word.slice(0, 40)}" is not a period of real days. Use ${USAGE}.`,
        );
      if (a > b)
        throw new QopsError(
          "invalid_input",
          `The period starts after it ends (${a} is after ${b}). Nothing was built.`,
        );
      [from, to] = [a, b];
    } else if (word === "clause") {
      const asked = (words[++i] ?? "").toLowerCase();
      if (asked === "all") clause = null;
      else if (/^\d+(\.\d+)*$/.test(asked) && sectionsFor(asked).length) clause = asked;
      else
        throw new QopsError(
          "invalid_input",
          `QOps keeps no records under clause "${asked.slice(0, 20)}". It keeps records for ${knownClauses().join(", ")}; or use clause all.`,
        );
    } else if (word === "all") clause = null;
    else throw new QopsError("invalid_input", `"${word.slice(0, 40)}" is not understood here. Use ${USAGE}.`);
  }
  return { from, to, clause };
}

const periodText = (p: Pick<EvidencePack, "from" | "to" | "zone" | "clause">) =>
  `${formatDay(p.from)} to ${formatDay(p.to)} (${p.zone}), ${p.clause ? `clause ${p.clause}` : "all clauses"}`;

/**
 * `qms evidence …`: for QMs and auditors (who only read). Records the request and the message
 * that will show its progress, then lets a builder take it; a retried request is the same pack.
 */
export async function evidenceCommand(ctx: CommandContext, args: Token[]): Promise<Answer> {
  const workspace = await requireRole(ctx, ["qm", "auditor"], "build the evidence pack for an audit");
  const zone = zoneOf(workspace);
  const request = parse(wordsOf(args), dayOf(ctx.now, zone));
  const key = requestKey(ctx, `evidence|${ctx.workspaceId}`);
  const id = `EVP-${(key ? createHash("sha256").update(key).digest("hex") : randomBytes(8).toString("hex")).slice(0, 8).toUpperCase()}`;
  let pack = newPack({
    _id: id,
    workspaceId: ctx.workspaceId,
    requestedBy: ctx.actor,
    requestedAt: ctx.now,
    ...request,
    zone,
    total: sectionsFor(request.clause).length + 1,
  });
  try {
    await EvidencePackModel.create(pack);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    pack = (await EvidencePackModel.findById(id).lean()) ?? pack;
  }
  // The person just asked: their progress message goes at once, at any hour.
  await enqueueDeliveries(
    [
      {
        workspaceId: ctx.workspaceId,
        occasion: `evidence:${id}`,
        recipientId: ctx.actor.id,
        notBefore: ctx.now,
        workingHoursOnly: false,
        content: { dynamic: { type: "evidencePack", packId: id } },
      },
    ],
    ctx.now,
  );
  kick?.(id);
  const text = rich`📦 Evidence pack ${id} requested by ${ctx.actor.name}: records of ${periodText(pack)}. QOps is building it now; a direct message from QOps shows its progress and then a download link, valid ${String(webSettings().linkHours)} hours.`;
  return { kind: "reply", view: answer(text) };
}

/** Records that a builder got further: one more edit of the requester's progress message. */
export async function noteProgress(pack: EvidencePack, now: Date): Promise<void> {
  const n = pack.updates + 1;
  await EvidencePackModel.updateOne({ _id: pack._id }, { $set: { updates: n } });
  const post = deliveryId(pack.workspaceId, `evidence:${pack._id}`, pack.requestedBy.id);
  await enqueueDeliveries(
    [
      {
        workspaceId: pack.workspaceId,
        occasion: `evidence:${pack._id}:edit:${n}`,
        recipientId: pack.requestedBy.id,
        notBefore: now,
        workingHoursOnly: false,
        updates: post,
        content: { dynamic: { type: "evidencePack", packId: pack._id } },
      },
    ],
    now,
  );
}

/** The progress message as it stands: building, ready with its link, failed, or expired. */
export async function evidencePackView(packId: string, now: Date): Promise<MessageView | null> {
  const pack = await EvidencePackModel.findById(packId).lean();
  if (!pack) return null;
  const what = `Evidence pack ${pack._id} (${periodText(pack)})`;
  if (pack.state === "failed")
    return answer(
      rich`⚠️ ${what} could not be built: ${pack.error ?? "unknown error"}. Nothing in QOps changed; ask again with ${cmd("qms evidence")}.`,
      "warning",
    );
  if (pack.state !== "ready" || !pack.expiresAt)
    return answer(rich`⏳ ${what}: building, ${String(pack.done)} of ${String(pack.total)} sections done…`);
  if (pack.expiresAt <= now)
    return answer(
      rich`${what} was ready; its download link expired at ${at(pack.expiresAt)}. Ask for a new one with ${cmd("qms evidence")}.`,
      "warning",
    );
  const url = await downloadUrl(pack);
  const size = `${((pack.bytes ?? 0) / 1024).toFixed(0)} KB`;
  const lead: Rich = rich`✅ ${what} is ready: ${link(url, "download the pack")} (${size}; the link works until ${at(pack.expiresAt)}).`;
  return message(lead, [
    paragraph(lead),
    paragraph(
      rich`SHA-256 of the ZIP: ${pack.sha256 ?? ""}. Open index.html to print it; VERIFY.md explains how an auditor checks it offline (npm run verify -- --pack FILE, or a short script).`,
    ),
    context(rich`Built for ${pack.requestedBy.name}; the same period and data give the same file.`),
  ]);
}

export async function downloadUrl(pack: Pick<EvidencePack, "_id" | "expiresAt">): Promise<string> {
  const expires = pack.expiresAt ?? new Date(0);
  const sig = signLink(await linkKey(), DOWNLOAD_PURPOSE, pack._id, expires);
  return `${webSettings().publicUrl}${DOWNLOAD_PATH}?pack=${encodeURIComponent(pack._id)}&expires=${expires.getTime()}&sig=${sig}`;
}

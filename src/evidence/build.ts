import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { Zip, ZipDeflate } from "fflate";
import { GridFSBucket, type ObjectId } from "mongodb";
import mongoose from "mongoose";
import { systemContext } from "../commands/context.js";
import { chartSvg } from "../dashboard/charts.js";
import type { Figure } from "../dashboard/figures.js";
import { canonicalJson } from "../db/canonical.js";
import { chainProblem, fieldsOffHistory, sealOf } from "../db/verify.js";
import { programmeStatus } from "../records/audit/programme.js";
import { addDays, addMonths, dayOf, startOfDay } from "../time/zone.js";
import {
  cell,
  columnsOf,
  eventLine,
  eventsOf,
  plainSorted,
  recordBatches,
  type Section,
  sectionsFor,
} from "./collect.js";
import {
  htmlFoot,
  htmlHead,
  programmeTable,
  recordArticle,
  sectionChart,
  sectionEnd,
  sectionHeading,
} from "./html.js";
import type { EvidencePack } from "./model.js";
import { verifyMarkdown } from "./verifyText.js";

/** The months a period touches, `YYYY-MM`, in order. */
function monthsOf(from: string, to: string): string[] {
  const months: string[] = [];
  for (let m = `${from.slice(0, 7)}-01`; m.slice(0, 7) <= to.slice(0, 7); m = addMonths(m, 1))
    months.push(m.slice(0, 7));
  return months;
}

/** The audit programme for each year of the period (planned and held per process). */
async function programmeHtml(pack: EvidencePack): Promise<string> {
  let html = "";
  for (let year = Number(pack.from.slice(0, 4)); year <= Number(pack.to.slice(0, 4)); year++) {
    const { rows } = await programmeStatus(systemContext(pack.workspaceId, pack.requestedAt), year);
    html += programmeTable(year, rows);
  }
  return html;
}

/** Appends text to a file, waiting when the disk is behind (memory stays flat). */
class Out {
  private readonly stream: WriteStream;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }
  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await once(this.stream, "drain");
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, "finish");
  }
}

export interface Built {
  fileId: string;
  bytes: number;
  sha256: string;
  records: number;
  events: number;
}

export const packBucket = () => {
  const db = mongoose.connection.db;
  if (!db) throw new Error("no database connection");
  return new GridFSBucket(db, { bucketName: "evidence" });
};

export const packFileName = (pack: Pick<EvidencePack, "from" | "to" | "clause">) =>
  `qops-evidence-${pack.from}-to-${pack.to}${pack.clause ? `-clause-${pack.clause}` : ""}.zip`;

/**
 * Builds a pack: each section's records and their histories are read a batch at a time and
 * written to files in a scratch folder, then zipped in a fixed order with fixed timestamps, so
 * the same period and data give the same bytes. `progress` hears after each section.
 */
export async function buildPack(
  pack: EvidencePack,
  progress: (done: number, total: number) => Promise<void>,
): Promise<Built> {
  const sections = sectionsFor(pack.clause);
  const total = sections.length + 1;
  const period = { start: startOfDay(pack.from, pack.zone), end: startOfDay(addDays(pack.to, 1), pack.zone) };
  const dir = await mkdtemp(join(tmpdir(), "qops-evidence-"));
  try {
    const body = new Out(join(dir, "body.html"));
    const history = new Out(join(dir, "history.jsonl"));
    const included: Record<string, string> = {};
    const counted: { section: Section; count: number }[] = [];
    const files: string[] = [];
    let events = 0;
    const problems: string[] = [];
    const months = monthsOf(pack.from, pack.to);
    const charts = new Map<string, number[]>();
    // References that get a link in the report: every record the pack holds.
    const refs = new Set<string>();
    for (const section of sections)
      for await (const batch of recordBatches(section, pack.workspaceId, period))
        for (const r of batch) if (r.ref) refs.add(r.ref);
    const inPack = (ref: string) => (refs.has(ref) ? `#${ref}` : null);
    for (const [i, section] of sections.entries()) {
      const json = new Out(join(dir, `${section.id}.json`));
      const csv = new Out(join(dir, `${section.id}.csv`));
      const columns = columnsOf(section.model);
      await csv.write(stringify([columns], { record_delimiter: "unix" }));
      await json.write("[");
      const articles = new Out(join(dir, `${section.id}.html`));
      let count = 0;
      const perMonth = months.map(() => 0);
      for await (const batch of recordBatches(section, pack.workspaceId, period)) {
        const histories = await eventsOf(batch);
        for (const record of batch) {
          const list = histories.get(record._id) ?? [];
          await json.write(`${count ? "," : ""}\n${JSON.stringify(plainSorted(record))}`);
          const row = columns.map((c) => cell((record as unknown as Record<string, unknown>)[c]));
          await csv.write(stringify([row], { escape_formulas: true, record_delimiter: "unix" }));
          await articles.write(recordArticle(record, list, pack.zone, inPack));
          for (const e of list) await history.write(`${eventLine(e)}\n`);
          const off = fieldsOffHistory(record, list)[0];
          const problem =
            chainProblem(list) ?? (off ? `field "${off}" was changed outside its history` : null);
          if (problem && problems.length < 20) problems.push(`${record.ref ?? record._id}: ${problem}`);
          events += list.length;
          const head = list.at(-1);
          if (head) included[record._id] = head.hash;
          count++;
          const month = months.indexOf(dayOf(new Date(record.createdAt), pack.zone).slice(0, 7));
          if (month >= 0) perMonth[month] = (perMonth[month] ?? 0) + 1;
        }
      }
      charts.set(section.id, perMonth);
      await json.write("\n]\n");
      await Promise.all([json.close(), csv.close(), articles.close()]);
      counted.push({ section, count });
      files.push(section.id);
      await progress(i + 1, total);
    }
    const report = { ...(await sealOf(pack.workspaceId)), ok: problems.length === 0 };
    const records = Object.keys(included).length;
    await body.write(
      htmlHead({
        ...pack,
        seal: report.seal,
        intact: report.ok,
        problems,
        records,
        events,
        sections: counted,
      }),
    );
    for (const id of files) {
      const section = counted.find((c) => c.section.id === id);
      if (!section) continue;
      await body.write(sectionHeading(section.section, section.count));
      const perMonth = charts.get(id) ?? [];
      if (section.count) {
        const figure: Figure = {
          id: `pack-${id}`,
          title: `${section.section.title}: created per month`,
          kind: "bar",
          categories: months,
          series: [{ name: "created", values: perMonth }],
          summary: "",
        };
        await body.write(sectionChart(chartSvg(figure, 640, 220), months, perMonth));
      }
      if (id === "audit") await body.write(await programmeHtml(pack));
      for await (const chunk of createReadStream(join(dir, `${id}.html`), "utf8"))
        await body.write(chunk as string);
      await body.write(sectionEnd);
    }
    await body.write(htmlFoot);
    await Promise.all([body.close(), history.close()]);
    const seal = {
      workspaceId: pack.workspaceId,
      period: { from: pack.from, to: pack.to, zone: pack.zone },
      clause: pack.clause ?? "all",
      seal: report.seal,
      intact: report.ok,
      problems,
      records,
      events,
      heads: report.heads,
      included,
    };
    const parts: [string, string | { file: string }][] = [
      ["index.html", { file: join(dir, "body.html") }],
      ["VERIFY.md", verifyMarkdown(report.seal)],
      ["seal.json", `${JSON.stringify(JSON.parse(canonicalJson(seal)), null, 1)}\n`],
      ["history.jsonl", { file: join(dir, "history.jsonl") }],
      ...files.flatMap((id): [string, { file: string }][] => [
        [`records/${id}.csv`, { file: join(dir, `${id}.csv`) }],
        [`records/${id}.json`, { file: join(dir, `${id}.json`) }],
      ]),
    ];
    const stored = await zipToBucket(parts, pack);
    await progress(total, total);
    return { ...stored, records, events };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Zips the parts in order straight into GridFS, hashing what is written. */
async function zipToBucket(
  parts: [string, string | { file: string }][],
  pack: EvidencePack,
): Promise<{ fileId: string; bytes: number; sha256: string }> {
  const upload = packBucket().openUploadStream(packFileName(pack), {
    metadata: { packId: pack._id, workspaceId: pack.workspaceId },
  });
  const hash = createHash("sha256");
  let bytes = 0;
  let failed: Error | null = null;
  const pending: Promise<unknown>[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) failed = error;
    else {
      hash.update(chunk);
      bytes += chunk.length;
      if (!upload.write(chunk)) pending.push(once(upload, "drain"));
    }
  });
  // The ZIP's timestamps: the period's last day, the same in every server zone (DOS time is local).
  const [y, m, d] = pack.to.split("-").map(Number) as [number, number, number];
  const mtime = new Date(y, m - 1, d);
  for (const [name, content] of parts) {
    const entry = new ZipDeflate(name, { level: 6 });
    entry.mtime = mtime;
    zip.add(entry);
    if (typeof content === "string") entry.push(new TextEncoder().encode(content), true);
    else {
      for await (const chunk of createReadStream(content.file)) {
        entry.push(chunk as Buffer, false);
        await Promise.all(pending.splice(0));
      }
      entry.push(new Uint8Array(0), true);
    }
    if (failed) throw failed;
  }
  zip.end();
  await Promise.all(pending.splice(0));
  upload.end();
  await once(upload, "finish");
  if (failed) throw failed;
  return { fileId: String(upload.id as ObjectId), bytes, sha256: hash.digest("hex") };
}

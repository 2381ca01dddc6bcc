import { type Plain, toPlain } from "../db/canonical.js";
import type { HistoryEvent } from "../db/historyModels.js";
import type { RecordBase } from "../db/recordBase.js";
import { allDefs } from "../records/refs.js";
import { formatDay, formatInstant } from "../time/zone.js";
import { esc } from "../web/html.js";
import type { Section } from "./collect.js";

/** The printable report of a pack (index.html), written in pieces as the records stream past. */

const HIDDEN = new Set(["_id", "workspaceId", "kind", "seq"]);
const refPattern = () =>
  new RegExp(
    `\\b(?:${allDefs()
      .map((d) => d.prefix)
      .join("|")})-[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]`,
    "g",
  );

/** Where a reference links to (a record in the pack, a dashboard page), or null: no link. */
export type LinkTo = (ref: string) => string | null;

/** Escaped text where each reference to a record in the pack links to it (finding → action). */
function linked(text: string, linkTo: LinkTo): string {
  const pattern = refPattern();
  let out = "";
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    out += esc(text.slice(last, m.index));
    const href = linkTo(m[0]);
    out += href ? `<a href="${esc(href)}">${esc(m[0])}</a>` : esc(m[0]);
    last = (m.index ?? 0) + m[0].length;
  }
  return out + esc(text.slice(last));
}

/** A stored value as a reader sees it: people by name, instants in the workspace's zone. */
function shown(value: Plain, zone: string, linkTo: LinkTo): string {
  if (value === null || value === "") return "—";
  if (typeof value === "string") {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value))
      return esc(formatInstant(new Date(value), zone));
    return linked(value, linkTo);
  }
  if (typeof value !== "object") return esc(String(value));
  if (Array.isArray(value))
    return value.length ? `<ul>${value.map((v) => `<li>${shown(v, zone, linkTo)}</li>`).join("")}</ul>` : "—";
  if (typeof value.name === "string" && typeof value.id === "string") return esc(value.name);
  const rows = Object.entries(value).map(([k, v]) => `<b>${esc(k)}</b>: ${shown(v, zone, linkTo)}`);
  return rows.join("; ");
}

function changeText(e: HistoryEvent, zone: string, linkTo: LinkTo): string {
  const rows = Object.entries(e.changes)
    .filter(([field]) => field !== "seq")
    .map(([field, c]) => {
      const before = e.type === "created" ? "" : `${shown(toPlain(c.before), zone, linkTo)} → `;
      return `<div><b>${esc(field)}</b>: ${before}${shown(toPlain(c.after), zone, linkTo)}</div>`;
    });
  return rows.join("");
}

export function recordArticle(
  record: RecordBase,
  events: HistoryEvent[],
  zone: string,
  linkTo: LinkTo,
): string {
  const plain = toPlain(record) as Record<string, Plain>;
  const name = record.ref ?? record._id.slice(record._id.indexOf("/") + 1);
  const title =
    typeof plain.title === "string" ? plain.title : typeof plain.what === "string" ? plain.what : "";
  const fields = Object.keys(plain)
    .filter((k) => !HIDDEN.has(k))
    .sort()
    .map((k) => `<tr><th>${esc(k)}</th><td>${shown(plain[k] ?? null, zone, linkTo)}</td></tr>`)
    .join("");
  const history = events
    .map(
      (e) =>
        `<tr><td>${e.seq}</td><td>${esc(formatInstant(new Date(e.at), zone))}</td><td>${esc(e.actor.name)}</td>` +
        `<td>${esc(e.type.replaceAll("_", " "))}</td><td>${changeText(e, zone, linkTo)}</td>` +
        `<td>${e.reason ? linked(e.reason, linkTo) : ""}</td></tr>`,
    )
    .join("");
  return (
    `<article id="${esc(name)}" class="record"><h3>${esc(name)}${title ? ` — ${linked(title, linkTo)}` : ""}</h3>` +
    `<table class="fields">${fields}</table>` +
    `<table class="history"><thead><tr><th>#</th><th>When</th><th>Who</th><th>What</th><th>Change (before → after)</th><th>Why</th></tr></thead>` +
    `<tbody>${history}</tbody></table>` +
    `<p class="chain">Chain head: <code>${esc(events.at(-1)?.hash ?? "none")}</code></p></article>\n`
  );
}

export const sectionHeading = (section: Section, count: number) =>
  `<section id="s-${esc(section.id)}"${count ? "" : ' class="empty"'}><h2>${esc(section.clauses.join(", "))} ${esc(section.title)}</h2>` +
  `<p class="count">${count} record${count === 1 ? "" : "s"} in this period.</p>\n`;

export const sectionEnd = "</section>\n";

/** A section's chart (records created per month of the period) with its numbers printed under it. */
export function sectionChart(svg: string, months: string[], counts: number[]): string {
  const cells = months.map((m, i) => `<tr><th>${esc(m)}</th><td>${counts[i] ?? 0}</td></tr>`).join("");
  return (
    `<figure class="chart">${svg}<table class="numbers"><thead><tr><th>month</th><th>created</th></tr></thead>` +
    `<tbody>${cells}</tbody></table></figure>\n`
  );
}

/** The audit programme of a year: per process, audits a year planned and held (9.2.2). */
export function programmeTable(
  year: number,
  rows: { process: string; perYear: number; planned: number; done: number }[],
): string {
  if (!rows.length) return "";
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.process)}</td><td>${r.perYear}</td><td>${r.planned}</td><td>${r.done}</td></tr>`,
    )
    .join("");
  return `<h3>Audit programme ${year}</h3><table class="programme"><thead><tr><th>Process</th><th>Audits a year</th><th>Planned</th><th>Held (reported or closed)</th></tr></thead><tbody>${body}</tbody></table>\n`;
}

export interface Cover {
  workspaceId: string;
  from: string;
  to: string;
  zone: string;
  clause: string | null;
  seal: string;
  intact: boolean;
  problems: string[];
  records: number;
  events: number;
  sections: { section: Section; count: number }[];
}

const STYLE = `
@page { size: A4; margin: 16mm 14mm; }
body { font: 10pt/1.4 system-ui, sans-serif; color: #111; max-width: 190mm; margin: auto; }
h1 { font-size: 20pt; } h2 { font-size: 14pt; break-before: page; border-bottom: 2px solid #333; }
h3 { font-size: 11pt; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.fields th { width: 28%; background: #f3f3f3; } thead { display: table-header-group; }
table.history th { background: #f3f3f3; } .record { break-inside: avoid-page; }
table.history th:nth-child(1) { width: 4%; } table.history th:nth-child(2) { width: 15%; }
table.history th:nth-child(3) { width: 14%; } table.history th:nth-child(4) { width: 12%; }
table.history th:nth-child(6) { width: 16%; } section.empty h2 { break-before: auto; }
code { font-size: 8pt; overflow-wrap: anywhere; } .cover { break-after: page; }
.bad { color: #a00; font-weight: bold; } ul { margin: 0; padding-left: 1.2em; }
figure.chart { margin: .5em 0; break-inside: avoid-page; } figure.chart svg { max-width: 100%; height: auto; }
table.numbers { width: auto; font-size: 8pt; }
@media print { a { color: inherit; text-decoration: none; } }`;

export function htmlHead(cover: Cover): string {
  const toc = cover.sections
    .map(
      ({ section, count }) =>
        `<li><a href="#s-${esc(section.id)}">${esc(section.clauses.join(", "))} ${esc(section.title)}</a> — ${count}</li>`,
    )
    .join("");
  const state = cover.intact
    ? "<p>Every record's history in this pack verified when it was built: each event's hash recomputed, each link to the event before it checked, and each record equal to what its history says. <code>npm run verify</code> checks the whole workspace.</p>"
    : `<p class="bad">Some histories in this pack did NOT verify when it was built: ${cover.problems.map(esc).join("; ")}</p>`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>QMS evidence pack ${esc(cover.from)} to ${esc(cover.to)}</title>` +
    `<style>${STYLE}</style></head><body><div class="cover"><h1>QMS evidence pack</h1>` +
    `<p>Workspace <code>${esc(cover.workspaceId)}</code></p>` +
    `<p>Period: ${esc(formatDay(cover.from))} to ${esc(formatDay(cover.to))} (${esc(cover.zone)}); clauses: ${esc(cover.clause ?? "all")}.</p>` +
    `<p>${cover.records} records, ${cover.events} history events. Records are shown as of their last change.</p>` +
    `<p>Seal (SHA-256 over every chain head of the workspace): <code>${esc(cover.seal)}</code></p>${state}` +
    `<p>How to check that nothing was altered: see VERIFY.md in this pack.</p>` +
    `<h2 style="break-before:avoid">Contents by ISO 9001 clause</h2><ol>${toc}</ol></div>\n`
  );
}

export const htmlFoot = "</body></html>\n";

import type { HistoryEvent } from "../db/historyModels.js";
import type { RecordBase } from "../db/recordBase.js";
import { chainProblem } from "../db/verify.js";
import { recordArticle } from "../evidence/html.js";
import type { RecordKindDef } from "../records/kind.js";
import { zoneOf } from "../records/workspace/access.js";
import { formatInstant } from "../time/zone.js";
import { esc } from "../web/html.js";
import type { Viewer } from "./auth.js";
import { chartSvg } from "./charts.js";
import type { Figure } from "./figures.js";

const STYLE = `
body { font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; margin: 0; color: #1d1d1d; background: #f6f7f9; }
header { background: #2f5d8a; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; }
header a { color: #fff; } header .who { margin-left: auto; font-size: 12px; }
main { padding: 16px 20px; max-width: 1200px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure { background: #fff; margin: 0; padding: 8px; border: 1px solid #dde; border-radius: 6px; }
figcaption { font-size: 13px; margin: 4px 8px; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ccd; padding: 3px 6px; text-align: left; vertical-align: top; }
details { margin: 4px 8px; } form { margin: 8px 0 12px; display: flex; gap: 8px; }
.ok { color: #216e39; font-weight: bold; } .bad { color: #a00; font-weight: bold; }`;

export function layout(title: string, viewer: Viewer | null, body: string): string {
  const nav = viewer
    ? `<a href="/dashboard">Overview</a><a href="/dashboard/register">Registers</a><span class="who">${esc(viewer.name)} · ${esc(viewer.roles.join(", "))} · ${esc(viewer.workspace.workspaceId)}</span>`
    : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)} · QOps</title><style>${STYLE}</style></head><body><header><strong>QOps</strong>${nav}</header><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

/** A chart with its numbers one click away, and its sentence for screen readers. */
export function figureHtml(figure: Figure): string {
  const head = `<tr><th></th>${figure.series.map((s) => `<th>${esc(s.name)}</th>`).join("")}</tr>`;
  const rows = figure.categories
    .map(
      (c, i) =>
        `<tr><th>${esc(c)}</th>${figure.series.map((s) => `<td>${s.values[i] ?? 0}</td>`).join("")}</tr>`,
    )
    .join("");
  return (
    `<figure id="${esc(figure.id)}" data-figure="${esc(figure.id)}"><div role="img" aria-label="${esc(`${figure.title}: ${figure.summary}`)}">${chartSvg(figure)}</div>` +
    `<figcaption>${esc(figure.summary)}</figcaption>` +
    `<details><summary>Numbers</summary><table class="numbers">${head}${rows}</table></details></figure>`
  );
}

export const overviewPage = (viewer: Viewer, figures: Figure[]) =>
  layout("Quality overview", viewer, `<div class="grid">${figures.map(figureHtml).join("")}</div>`);

export interface RegisterRow {
  ref: string;
  state: string;
  title: string;
  createdAt: Date;
  updatedAt: Date;
}

export function registerPage(
  viewer: Viewer,
  kinds: RecordKindDef[],
  chosen: RecordKindDef,
  filter: { state: string; q: string },
  states: string[],
  rows: RegisterRow[],
  total: number,
): string {
  const zone = zoneOf(viewer.workspace);
  const option = (value: string, label: string, selected: boolean) =>
    `<option value="${esc(value)}"${selected ? " selected" : ""}>${esc(label)}</option>`;
  const form =
    `<form method="get" action="/dashboard/register"><select name="kind">${kinds.map((k) => option(k.id, k.plural, k.id === chosen.id)).join("")}</select>` +
    `<select name="state">${option("", "every state", !filter.state)}${states.map((s) => option(s, s.replaceAll("_", " "), s === filter.state)).join("")}</select>` +
    `<input type="search" name="q" value="${esc(filter.q)}" placeholder="reference or text"><button>Show</button></form>`;
  const body = rows
    .map(
      (r) =>
        `<tr><td><a href="/dashboard/record?ref=${encodeURIComponent(r.ref)}">${esc(r.ref)}</a></td><td>${esc(r.state.replaceAll("_", " "))}</td><td>${esc(r.title)}</td><td>${esc(formatInstant(r.createdAt, zone))}</td><td>${esc(formatInstant(r.updatedAt, zone))}</td></tr>`,
    )
    .join("");
  const shown =
    rows.length < total
      ? `<p>Showing ${rows.length} of ${total}; narrow the search to see the rest.</p>`
      : `<p>${total} ${total === 1 ? chosen.noun : chosen.plural}.</p>`;
  return layout(
    `Register: ${chosen.plural}`,
    viewer,
    `${form}${shown}<table class="register"><thead><tr><th>Reference</th><th>State</th><th>What</th><th>Created</th><th>Last change</th></tr></thead><tbody>${body}</tbody></table>`,
  );
}

/** Whether a record's chain holds: each event's hash matches its content and links to the one before. */
export function chainCheck(events: HistoryEvent[]): { ok: boolean; text: string } {
  const problem = chainProblem(events);
  return problem
    ? { ok: false, text: `does not verify: ${problem}` }
    : {
        ok: true,
        text: `verifies: ${events.length} event${events.length === 1 ? "" : "s"}, each hash recomputed and linked`,
      };
}

export function recordPage(
  viewer: Viewer,
  record: RecordBase,
  events: HistoryEvent[],
  chatLink: string | null,
): string {
  const check = chainCheck(events);
  const back = chatLink ? `<p><a href="${esc(chatLink)}">Open its message in chat</a></p>` : "";
  return layout(
    `${record.ref ?? record._id}`,
    viewer,
    `<p>History chain <span class="${check.ok ? "ok" : "bad"}" data-chain="${check.ok ? "ok" : "broken"}">${esc(check.text)}</span>.</p>${back}` +
      recordArticle(
        record,
        events,
        zoneOf(viewer.workspace),
        (ref) => `/dashboard/record?ref=${encodeURIComponent(ref)}`,
      ),
  );
}

export const messagePage = (title: string, text: string) => layout(title, null, `<p>${esc(text)}</p>`);

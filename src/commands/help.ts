import type { HelpLine, RecordKindDef } from "../records/kind.js";
import { RECORD_KINDS } from "../records/registry.js";
import { heading, list, message, notice } from "../views/build.js";
import { cmd, type Rich, rich, strong } from "../views/rich.js";
import type { MessageView } from "../views/types.js";
import type { CommandContext } from "./context.js";

/** The `qms` sub-commands that are not a record kind's. */
export const QMS_HELP: HelpLine[] = [
  {
    usage: "qms setup",
    text: "set QOps up here (the first person becomes quality manager); in Slack name the channel: /qms setup #quality",
  },
  {
    usage: "qms channel",
    text: "where triage posts and ideas go (QM): in Teams type it in that channel; in Slack name it (/qms channel #quality)",
  },
  {
    usage: "qms roles",
    text: "who holds which role; qms roles grant|revoke @person qm|top_management|auditor (QM)",
  },
  {
    usage: "qms sla low|medium|high|critical DAYS",
    text: "days until a complaint of that severity is due (QM)",
  },
  {
    usage: "qms status",
    text: "open complaints, overdue items, ideas, actions and the calendar at a glance",
  },
  { usage: "qms mine", text: "what you own, reported or audit; for QMs, the triage queue" },
  {
    usage: "qms dashboard",
    text: "a one-use sign-in link to the quality dashboard: charts, registers, records with their verified history (QM, top management, auditor)",
  },
  {
    usage: "qms evidence [FROM..TO] [clause 9.2|all]",
    text: "the certification auditor's evidence pack (ZIP: report, records, history, seal), last 12 months by default (QM, auditor)",
  },
  {
    usage: "qms timezone Europe/Berlin",
    text: "the workspace's time zone: its dates, and the Monday digest (QM)",
  },
  {
    usage: "qms audit-reminders 14 1",
    text: "days before an audit its auditor and auditees are reminded (QM)",
  },
  {
    usage: "qms finding-days 30 60",
    text: "days a corrective action from a major and a minor nonconformity gets (QM)",
  },
  {
    usage: "qms guests include|exclude",
    text: "whether guest accounts are members asked to acknowledge the policy (QM)",
  },
  {
    usage: "qms hours 09:00-17:00 mon-fri",
    text: "when reminders may reach people, in their own time zones (QM)",
  },
  { usage: "qms help", text: "this list" },
];

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function line(l: HelpLine): Rich {
  return l.messageShortcut ? rich`${strong(l.usage)} — ${l.text}` : rich`${cmd(l.usage)} — ${l.text}`;
}

/** Every command, the same on both platforms: one section per record kind, then `qms`. */
export function helpSections(ctx: CommandContext): { title: string; lines: Rich[] }[] {
  const shown = (lines: HelpLine[]) =>
    lines.filter((l) => !l.messageShortcut || ctx.surface.messageShortcut).map(line);
  return [
    ...RECORD_KINDS.map((def) => ({ title: capital(def.plural), lines: shown(def.help) })),
    { title: "Quality management", lines: shown(QMS_HELP) },
  ];
}

export function helpView(ctx: CommandContext, intro?: Rich): MessageView {
  return message("QOps commands", [
    ...(intro ? [notice(intro, "warning")] : []),
    ...helpSections(ctx).flatMap((s) => [heading(s.title), list(s.lines)]),
  ]);
}

/** `complaint help` and the like: one kind's commands. */
export function kindHelpView(ctx: CommandContext, def: RecordKindDef): MessageView {
  const section = helpSections(ctx).find((s) => s.title === capital(def.plural));
  return message(`QOps: ${def.plural}`, [heading(capital(def.plural)), list(section?.lines ?? [])]);
}

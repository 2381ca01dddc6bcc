/**
 * Every command with one line each, the same on both platforms. Slack shows the slash; Teams,
 * where people type to the bot, shows the words without it. Lines marked `slackOnly` name
 * a Slack surface Teams does not have.
 */
export interface HelpSection {
  title: string;
  lines: { usage: string; text: string; slackOnly?: boolean }[];
}

export const HELP: HelpSection[] = [
  {
    title: "Complaints",
    lines: [
      { usage: "/complaint", text: "log a customer complaint (`/complaint some text` prefills it)" },
      { usage: "/complaint list [open|mine|overdue|all]", text: "the complaints register" },
      { usage: "/complaint CMP-2026-0007", text: "one complaint with its history" },
      { usage: "Message menu → Log as complaint", text: "log a complaint from any message", slackOnly: true },
    ],
  },
  {
    title: "Improvement ideas",
    lines: [
      { usage: "/idea", text: "suggest an improvement (`/idea some text` prefills it)" },
      { usage: "/idea list [open|top|mine|all]", text: "ideas, or the most voted" },
      { usage: "/idea IDEA-2026-0003", text: "one idea with its history" },
    ],
  },
  {
    title: "Quality policy",
    lines: [
      { usage: "/policy", text: "read the current quality policy and acknowledge it" },
      {
        usage: "/policy draft",
        text: "(QM) · `/policy approve POL-v2` (top management) · `/policy publish POL-v2` (QM)",
      },
      {
        usage: "/policy status [export]",
        text: "who has acknowledged, per version; `export` gives CSV (QM)",
      },
    ],
  },
  {
    title: "Internal audits and management reviews",
    lines: [
      {
        usage: "/audit",
        text: "schedule an internal audit (a form; QM); `/audit list [planned|due|mine|all]`",
      },
      {
        usage: "/audit AUD-2026-0003 [start|report|close|finding TYPE CLAUSE evidence]",
        text: "one audit; the lead auditor records findings (a nonconformity raises an action) and reports",
      },
      {
        usage: "/audit programme [YEAR|set PROCESS N @owner|generate YEAR]",
        text: "how often each process is audited; planned versus done, and what is late (QM)",
      },
      {
        usage: "/review schedule [YYYY-MM-DD]",
        text: "a management review with top management (QM); `/review list`; `/review MR-2026-0001 pack`",
      },
      {
        usage: "/review MR-2026-0001 minutes|decide|approve …",
        text: "minutes, decisions that become actions, top management's approval (`/review help`)",
      },
    ],
  },
  {
    title: "Quality management",
    lines: [
      { usage: "/qms setup", text: "set QOps up here (the first person becomes quality manager)" },
      { usage: "/qms channel #channel", text: "where triage messages and ideas are posted (QM)" },
      {
        usage: "/qms roles",
        text: "who holds which role; `/qms roles grant|revoke @person qm|top_management|auditor` (QM)",
      },
      {
        usage: "/qms sla low|medium|high|critical DAYS",
        text: "days until a complaint of that severity is due (QM)",
      },
      { usage: "/qms action new", text: "open a corrective or preventive action (QM)" },
      {
        usage: "/qms actions [open|mine|overdue|all]",
        text: "corrective actions; `/qms action CA-2026-0001` — one action",
      },
      { usage: "/qms status", text: "open complaints, overdue items, ideas and actions at a glance" },
      { usage: "/qms mine", text: "what you own, reported or audit; for QMs, the triage queue" },
      {
        usage: "/qms docs [help]",
        text: "the register of the quality manual and procedures, with their reviews",
      },
      {
        usage: "/qms objectives [help]",
        text: "quality objectives: latest value against target, and the trend",
      },
      { usage: "/qms timezone Europe/Berlin", text: "the workspace's time zone, for the Monday digest (QM)" },
      {
        usage: "/qms audit-reminders 14 1",
        text: "days before an audit its auditor and auditees are reminded (QM)",
      },
      {
        usage: "/qms guests include|exclude",
        text: "whether guest accounts are members asked to acknowledge the policy (QM)",
      },
      {
        usage: "/qms hours 09:00-17:00 mon-fri",
        text: "when reminders may reach people, in their own time zones (QM)",
      },
      { usage: "/qms help", text: "this list" },
    ],
  },
];

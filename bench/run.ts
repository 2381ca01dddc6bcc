/**
 * npm run bench               every benchmark
 * npm run bench -- history    transitions and reference allocations per second
 * npm run bench -- slack      slash-command ack latency and throughput vs a bare Bolt app
 * npm run bench -- reminders  policy fan-out under Slack's rate limit; reminder pickup delay
 * npm run bench -- teams      Teams message and card-action ack latency vs a bare CloudAdapter
 * npm run bench -- growth     register, record and App Home replies at 100 / 10,000 / 100,000 complaints
 * npm run bench -- evidence   an evidence pack of a year at 1,000 and 10,000 complaints: time and memory
 * npm run bench -- dashboard  the dashboard overview's server time at 1,000 and 10,000 complaints
 */
import { runDashboardBench } from "./dashboard.js";
import { runEvidenceBench } from "./evidence.js";
import { runGrowthBench } from "./growth.js";
import { runHistoryBench } from "./history.js";
import { runRemindersBench } from "./reminders.js";
import { runSlackBench } from "./slack.js";
import { runTeamsBench } from "./teams.js";

const benches: Record<string, () => Promise<string>> = {
  history: runHistoryBench,
  slack: runSlackBench,
  reminders: runRemindersBench,
  teams: runTeamsBench,
  growth: runGrowthBench,
  evidence: runEvidenceBench,
  dashboard: runDashboardBench,
};
const chosen = process.argv.slice(2).filter((a) => a in benches);
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) continue;
  const report = await bench();
  // stdout to a pipe is asynchronous: wait for the write before exiting.
  await new Promise((resolve) => process.stdout.write(`\n## ${name}\n\n${report}\n`, resolve));
}
process.exit(0);

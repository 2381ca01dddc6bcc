/**
 * npm run verify [-- --workspace <id>] [--json]
 * Checks the whole history of every workspace (or one) and prints the first problem found.
 * npm run verify -- --pack qops-evidence.zip
 * Checks an evidence pack offline (no database): its chains, seal and records.
 * Exit code 0: every history intact; 1: a problem was found; 2: could not run.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/index.js";
import { connectDatabase, disconnectDatabase } from "../db/connection.js";
import { startDatabaseEngine } from "../db/engine.js";
import { HistoryAnchorModel } from "../db/historyModels.js";
import { verifyWorkspace } from "../db/verify.js";
import { verifyPack } from "../evidence/verifyPack.js";
import { createLogger } from "../logger.js";
import "../records/registry.js";

const { values } = parseArgs({
  options: {
    workspace: { type: "string" },
    json: { type: "boolean", default: false },
    pack: { type: "string" },
  },
});

if (values.pack) {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(values.pack);
  } catch (error) {
    process.stderr.write(`verify could not read ${values.pack}: ${String(error)}\n`);
    process.exit(2);
  }
  const report = verifyPack(bytes);
  process.stdout.write(
    values.json
      ? `${JSON.stringify(report)}\n`
      : report.ok
        ? `${values.pack}: intact — ${report.records} records, ${report.events} events; seal ${report.seal}\n`
        : `${values.pack}: NOT intact — ${report.problem}\n`,
  );
  process.exit(report.ok ? 0 : 1);
}

try {
  const config = loadConfig();
  const logger = createLogger("warn", false);
  const engine = await startDatabaseEngine({
    mongodbUri: config.mongodbUri,
    dataDir: config.dataDir,
    engine: config.embeddedEngine,
    ferretdbBin: config.ferretdbBin,
    logger,
  });
  await connectDatabase(engine.uri, undefined, engine.kind);
  const workspaces = values.workspace
    ? [values.workspace]
    : ((await HistoryAnchorModel.distinct("workspaceId")) as string[]).sort();
  let failed = false;
  for (const workspaceId of workspaces) {
    const report = await verifyWorkspace(workspaceId);
    failed ||= !report.ok;
    if (values.json) {
      const { heads: _heads, ...summary } = report;
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      continue;
    }
    const first = report.problems[0];
    const pending = report.incomplete.length
      ? ` (${report.incomplete.length} creation(s) interrupted by a crash, completed by the next repair: ${report.incomplete.slice(0, 5).join(", ")})`
      : "";
    process.stdout.write(
      report.ok
        ? `${workspaceId}: intact — ${report.records} records, ${report.events} events; seal ${report.seal}${pending}\n`
        : `${workspaceId}: ${report.problems.length} problem(s); first: ${first?.kind} at ${first?.where}${first?.seq ? ` #${first.seq}` : ""} — ${first?.detail}\n`,
    );
  }
  if (workspaces.length === 0) process.stdout.write("no workspaces have any history yet\n");
  await disconnectDatabase();
  await engine.stop();
  process.exit(failed ? 1 : 0);
} catch (error) {
  process.stderr.write(
    `verify could not run: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exit(2);
}

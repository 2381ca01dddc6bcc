/**
 * VERIFY.md of every pack: what its files are and how an auditor checks, without QOps or its
 * database, that no event was altered, removed or inserted. The script in it is run by the tests
 * on a pack they built and on a tampered copy.
 */
export const CHECK_SCRIPT = `import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const sorted = (v) =>
  Array.isArray(v) ? v.map(sorted)
  : v !== null && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
    : v;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const HASHED = ["workspaceId", "recordKey", "kind", "seq", "type", "actor", "at", "changes",
  "reason", "idempotencyKey", "effects", "prevHash"];
const seal = JSON.parse(readFileSync("seal.json", "utf8"));
const last = new Map();
const lines = readFileSync("history.jsonl", "utf8").split("\\n").filter(Boolean);
lines.forEach((line, i) => {
  const e = JSON.parse(line);
  const body = Object.fromEntries(HASHED.filter((f) => f in e).map((f) => [f, e[f]]));
  const prev = last.get(e.recordKey) ?? { seq: 0, hash: "0".repeat(64) };
  if (sha256(JSON.stringify(sorted(body))) !== e.hash)
    throw new Error(\`history.jsonl line \${i + 1}: \${e.recordKey} event \${e.seq} was altered\`);
  if (e.seq !== prev.seq + 1 || e.prevHash !== prev.hash)
    throw new Error(\`history.jsonl line \${i + 1}: \${e.recordKey} event \${e.seq} does not follow event \${prev.seq}\`);
  last.set(e.recordKey, e);
});
for (const [key, head] of Object.entries(seal.included)) {
  if (last.get(key)?.hash !== head) throw new Error(\`\${key}: its last event is not the head seal.json names\`);
  if (!seal.heads.includes(\`\${key}:\${head}\`)) throw new Error(\`\${key}: its head is not among the sealed heads\`);
}
if (sha256([...seal.heads].sort().join("\\n")) !== seal.seal)
  throw new Error("seal.json: the seal is not the SHA-256 of the heads it lists");
console.log(\`intact: \${last.size} records, \${lines.length} events; seal \${seal.seal}\`);
`;

export function verifyMarkdown(seal: string): string {
  return `# How to check this evidence pack

This pack was made by QOps. Every change to a QMS record is a history event; each event carries
the SHA-256 of its own content (\`hash\`) and of the event before it (\`prevHash\`, 64 zeros for a
record's first event), so an event cannot be edited, removed or slipped in without breaking
the chain. The seal below is the SHA-256 over the last hash of every chain of the workspace
(\`seal.json\` lists them): compare it with a seal you noted earlier (the \`npm run verify\`
output, a weekly digest) to see that nothing was cut from the end of a chain either.

Seal: \`${seal}\`

## Files

- \`index.html\`: the printable report (open it in a browser, print to A4).
- \`records/<kind>.json\` and \`records/<kind>.csv\`: every field of every record in the pack;
  instants in ISO 8601 UTC (\`Z\`), shown in the workspace's zone in \`index.html\`.
- \`history.jsonl\`: every event of every record in the pack, one JSON object per line.
- \`seal.json\`: the workspace seal, the heads it is computed over, and each included chain's head.

## With QOps's own tool (offline, no database)

    npm run verify -- --pack qops-evidence.zip

It also checks that each record in \`records/*.json\` equals what its history says.

## With a short script of your own (Node 18 or later, no packages)

Unzip the pack, save this as \`check-pack.mjs\` in that folder and run \`node check-pack.mjs\`.
An event's hash is the SHA-256 of the JSON (keys sorted at every depth, no spaces) of its
fields \`workspaceId recordKey kind seq type actor at changes reason idempotencyKey effects prevHash\`.

\`\`\`js
${CHECK_SCRIPT}\`\`\`
`;
}

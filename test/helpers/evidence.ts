import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { CHECK_SCRIPT } from "../../src/evidence/verifyText.js";

const run = promisify(execFile);

/** A pack's files by name, as text. */
export function packFiles(zip: Uint8Array): Record<string, string> {
  return Object.fromEntries(
    Object.entries(unzipSync(zip)).map(([name, bytes]) => [name, new TextDecoder().decode(bytes)]),
  );
}

/** `npm run verify -- --pack FILE` on these bytes: its exit code and what it printed. */
export async function verifyPackCli(zip: Uint8Array): Promise<{ code: number; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), "qops-pack-"));
  const file = join(dir, "qops-evidence.zip");
  await writeFile(file, zip);
  try {
    const { stdout } = await run("npx", ["tsx", "src/scripts/verify.ts", "--pack", file], {
      env: { ...process.env, MONGODB_URI: "" },
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

/** The script VERIFY.md gives auditors, run with plain node in the unzipped pack. */
export async function auditorScript(zip: Uint8Array): Promise<{ code: number; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), "qops-unzipped-"));
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), bytes);
  }
  await writeFile(join(dir, "check-pack.mjs"), CHECK_SCRIPT);
  try {
    const { stdout } = await run(process.execPath, ["check-pack.mjs"], { cwd: dir });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

/** The pack's download link in a rendered message (Slack `<url|…>`, Teams `[…](url)`). */
export function linkIn(text: string): string | null {
  return /<(http[^|>]+)\|download the pack>/.exec(text)?.[1] ?? /\]\((http[^)\s]+)\)/.exec(text)?.[1] ?? null;
}

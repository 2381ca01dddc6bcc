/**
 * `npm run package:teams`: the Teams app package to upload (Teams admin center or "Upload a
 * custom app"): manifest.json with this installation's bot id, and the two icons, zipped into
 * dist/qops-teams.zip. The manifest is validated against Microsoft's schema first (offline).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppManifestUtils } from "@microsoft/app-manifest";
import { zipSync } from "fflate";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MANIFEST_DIR = join(root, "manifests/teams");
const PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000";

/** PNG width and height from its header. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString("ascii") !== "PNG") throw new Error("not a PNG file");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export interface TeamsPackage {
  manifest: Record<string, unknown>;
  problems: string[];
  zip: Uint8Array;
}

/** Builds the package for an app id (the placeholder when none is given) and lists every problem. */
export async function buildTeamsPackage(appId: string | undefined): Promise<TeamsPackage> {
  const text = readFileSync(join(MANIFEST_DIR, "manifest.json"), "utf8");
  const manifest = JSON.parse(appId ? text.replaceAll(PLACEHOLDER_ID, appId) : text) as Record<
    string,
    unknown
  >;
  const problems = await AppManifestUtils.validateAgainstSchema(manifest as never);
  const color = readFileSync(join(MANIFEST_DIR, "color.png"));
  const outline = readFileSync(join(MANIFEST_DIR, "outline.png"));
  const c = pngSize(color);
  const o = pngSize(outline);
  if (c.width !== 192 || c.height !== 192)
    problems.push(`color.png must be 192×192 (is ${c.width}×${c.height})`);
  if (o.width !== 32 || o.height !== 32)
    problems.push(`outline.png must be 32×32 (is ${o.width}×${o.height})`);
  // Colour type 6 is RGBA: the outline needs its transparent background.
  if (outline[25] !== 6) problems.push("outline.png must have an alpha channel (transparent background)");
  const zip = zipSync({
    "manifest.json": new TextEncoder().encode(JSON.stringify(manifest, null, 2)),
    "color.png": color,
    "outline.png": outline,
  });
  return { manifest, problems, zip };
}

async function main(): Promise<void> {
  const appId = process.env.MICROSOFT_APP_ID?.trim() || undefined;
  const { problems, zip } = await buildTeamsPackage(appId);
  if (problems.length) {
    console.error(`The Teams manifest is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exit(1);
  }
  const out = join(root, "dist/qops-teams.zip");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zip);
  console.log(`Wrote ${out} (${zip.length} bytes).`);
  if (!appId)
    console.log(
      "MICROSOFT_APP_ID was not set, so the package carries a placeholder bot id: set it to your Azure Bot's app id and run this again before uploading.",
    );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

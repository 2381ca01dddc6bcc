import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { createCore } from "../../src/commands/core.js";
import { createLogger } from "../../src/logger.js";
import { buildTeamsPackage, pngSize } from "../../src/scripts/packageTeams.js";
import { say, teamsUser, textOf, useTeamsApp } from "../helpers/teamsHarness.js";

const h = useTeamsApp();
const erin = teamsUser("Erin Employee");

describe("the Teams app package", () => {
  it("validates against Microsoft's manifest schema, with a 192×192 colour icon and a transparent 32×32 outline", async () => {
    const { problems, zip, manifest } = await buildTeamsPackage("11111111-2222-4333-8444-555555555555");
    expect(problems).toEqual([]);
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(["color.png", "manifest.json", "outline.png"]);
    expect(pngSize(Buffer.from(files["color.png"] ?? []))).toEqual({ width: 192, height: 192 });
    expect(pngSize(Buffer.from(files["outline.png"] ?? []))).toEqual({ width: 32, height: 32 });
    const bots = manifest.bots as { botId: string }[];
    expect(bots[0]?.botId).toBe("11111111-2222-4333-8444-555555555555");
  });

  it("a manifest that breaks the schema is reported, not packaged silently", async () => {
    const { problems } = await buildTeamsPackage("not-a-guid");
    expect(problems.join("\n")).toContain("/id must match pattern");
  });

  it("lists every command the bot handles, and the bot handles every command listed", async () => {
    const { manifest } = await buildTeamsPackage(undefined);
    const listed = (
      manifest.bots as { commandLists: { commands: { title: string }[] }[] }[]
    )[0]?.commandLists.flatMap((l) => l.commands.map((c) => c.title));
    // The core's commands, the same words as in Slack (without the slash).
    expect([...new Set(listed)].sort()).toEqual(createCore(createLogger("silent", false)).commands().sort());
    for (const command of listed ?? []) {
      const reply = await say(h, erin, `${command} help`);
      expect(`${reply.text}\n${textOf(reply.attachments)}`, command).not.toContain("Unknown command");
    }
    const unknown = await say(h, erin, "audit-everything");
    expect(textOf(unknown.attachments)).toContain('Unknown command "audit-everything"');
  });
});

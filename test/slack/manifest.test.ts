import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { SHORTCUT_LOG_COMPLAINT } from "../../src/bot/slack/app.js";
import { createCore } from "../../src/commands/core.js";
import { createLogger } from "../../src/logger.js";
import { allText, employee, setUpWorkspace, useSlackApp } from "../helpers/slackHarness.js";

interface Manifest {
  features: {
    slash_commands: { command: string; url: string; should_escape: boolean }[];
    shortcuts: { callback_id: string; type: string }[];
    app_home: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
  };
}

const manifest = JSON.parse(readFileSync("manifests/slack/manifest.json", "utf8")) as Manifest;
const core = createCore(createLogger("silent", false));
const h = useSlackApp();

beforeAll(async () => {
  await setUpWorkspace(h);
});

describe("the Slack manifest", () => {
  it("declares a slash command for every command of the core (help is /qms help), and nothing else", () => {
    const expected = core
      .commands()
      .filter((c) => c !== "help")
      .map((c) => `/${c}`)
      .sort();
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual(expected);
    for (const c of manifest.features.slash_commands) {
      expect(c.url).toMatch(/\/slack\/events$/);
      expect(c.should_escape).toBe(true); // mentions arrive as <@U…>, which /qms roles needs
    }
  });

  it("every declared command is answered by the running app, not as an unknown command", async () => {
    for (const { command } of manifest.features.slash_commands) {
      const sent = h.slack.command(command, "help", employee);
      expect((await sent.send()).status, command).toBe(200);
      const reply = allText(await h.fake.waitForResponse(sent.responseId));
      expect(reply, command).not.toMatch(/Unknown command|not understood/i);
    }
  });

  it("declares the message shortcut the app handles, the App Home event, and interactivity", () => {
    expect(manifest.features.shortcuts.map((s) => s.callback_id)).toEqual([SHORTCUT_LOG_COMPLAINT]);
    expect(manifest.features.shortcuts[0]?.type).toBe("message");
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(["app_home_opened"]);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
  });

  it("asks for the scopes the bot's API calls need", () => {
    for (const scope of [
      "commands",
      "chat:write",
      "im:write",
      "users:read",
      "channels:history",
      "groups:history",
      "im:history",
    ]) {
      expect(manifest.oauth_config.scopes.bot).toContain(scope);
    }
  });
});

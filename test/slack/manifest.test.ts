import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createSlackApp } from "../../src/bot/slack/app.js";
import { ACTIONS, EVENTS, SHORTCUTS, SLASH_COMMANDS, VIEWS } from "../../src/bot/slack/surface.js";
import { systemClock } from "../../src/jobs/deps.js";
import { createLogger } from "../../src/logger.js";

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

/** Every `app.command(…)`, `app.shortcut(…)`, … call, captured by wrapping the app before registration. */
function captureRegistrations() {
  const seen = {
    commands: [] as string[],
    shortcuts: [] as string[],
    views: [] as string[],
    actions: [] as string[],
    events: [] as string[],
  };
  const logger = createLogger("silent", false);
  createSlackApp(
    { signingSecret: "s", botToken: "xoxb-1", appToken: undefined, apiUrl: "http://127.0.0.1:9/api/" },
    {
      logger,
      clock: systemClock,
      onRegister: (kind, id) => seen[kind].push(id),
    },
  );
  return seen;
}

describe("the Slack manifest", () => {
  const seen = captureRegistrations();

  it("declares every slash command the code registers, and nothing else", () => {
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual([...seen.commands].sort());
    expect(Object.values(SLASH_COMMANDS).sort()).toEqual([...seen.commands].sort());
    for (const c of manifest.features.slash_commands) {
      expect(c.url).toMatch(/\/slack\/events$/);
      expect(c.should_escape).toBe(true); // mentions arrive as <@U…>, which /qms roles needs
    }
  });

  it("declares every shortcut callback the code registers, and nothing else", () => {
    expect(manifest.features.shortcuts.map((s) => s.callback_id).sort()).toEqual([...seen.shortcuts].sort());
    expect(Object.values(SHORTCUTS).sort()).toEqual([...seen.shortcuts].sort());
  });

  it("subscribes to every event the code listens to, and enables the App Home and interactivity", () => {
    expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual([...seen.events].sort());
    expect(Object.values(EVENTS).sort()).toEqual([...seen.events].sort());
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
  });

  it("every button and modal callback the code handles is one the code also renders", () => {
    expect([...seen.actions].sort()).toEqual(Object.values(ACTIONS).sort());
    expect([...seen.views].sort()).toEqual(Object.values(VIEWS).sort());
  });

  it("asks for the scopes the bot's API calls need", () => {
    for (const scope of ["commands", "chat:write", "im:write", "users:read"]) {
      expect(manifest.oauth_config.scopes.bot).toContain(scope);
    }
  });
});

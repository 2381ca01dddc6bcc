import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config/index.js";
import { exitOf, startQops } from "./helpers/process.js";

describe("configuration", () => {
  it("an empty environment is a valid local setup on 127.0.0.1:3000 with no chat platform", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: "127.0.0.1", slack: undefined, mongodbUri: undefined });
  });

  it("names every bad variable at once, with what a good value looks like", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "eighty",
        MONGODB_URI: "http://db",
        LOG_LEVEL: "loud",
        SLACK_SIGNING_SECRET: "abc",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/PORT: .*port number/);
    expect(problems).toMatch(/MONGODB_URI: must start with mongodb:\/\//);
    expect(problems).toMatch(/LOG_LEVEL: must be one of/);
    expect(problems).toMatch(/SLACK_BOT_TOKEN: required when SLACK_SIGNING_SECRET is set/);
  });

  it("enables Slack when both its variables are set, with the API URL ending in a slash", () => {
    const config = loadConfig({
      SLACK_SIGNING_SECRET: "s3cret",
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_API_URL: "http://127.0.0.1:9999/api",
    });
    expect(config.slack).toMatchObject({ apiUrl: "http://127.0.0.1:9999/api/", botToken: "xoxb-1" });
    expect(config.host).toBe("0.0.0.0");
  });

  it("the process exits non-zero and lists each bad variable", async () => {
    const { child, output } = startQops({ PORT: "70000", QOPS_ROLE: "cron", SLACK_BOT_TOKEN: "xoxp-user" });
    expect(await exitOf(child)).toBe(2);
    const text = output();
    expect(text).toContain("PORT: must be between 0 and 65535");
    expect(text).toContain("QOPS_ROLE: must be all, web or worker");
    expect(text).toContain("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-");
    expect(text).not.toMatch(/\n\s+at /); // a list, not a stack trace
  });
});

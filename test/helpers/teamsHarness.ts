import { randomBytes, randomUUID } from "node:crypto";
import mongoose from "mongoose";
import { afterAll, beforeAll, inject } from "vitest";
import { type RunningApp, startApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import type { Clock } from "../../src/jobs/deps.js";
import { runningClock } from "./clock.js";
import { FakeConnector } from "./fakeConnector.js";
import { capturingLogger } from "./logs.js";

export interface TeamsUser {
  /** Entra object id: the member's identity in QOps. */
  aadObjectId: string;
  /** Teams user id (`29:…`). */
  id: string;
  name: string;
}

export interface TeamsHarness {
  connector: FakeConnector;
  app: RunningApp;
  tenantId: string;
  url: string;
  logs: Record<string, unknown>[];
}

export const QUALITY_CONVERSATION = "19:quality@thread.tacv2";
export const TEAM_ID = "19:team@thread.tacv2";

/**
 * The real app on a free port in local mode (Teams without authentication), its activities
 * carrying a serviceUrl that points at a local fake Bot Framework connector.
 */
export function useTeamsApp(options: { clock?: Clock; env?: Record<string, string> } = {}): TeamsHarness {
  const harness = { logs: [] as Record<string, unknown>[] } as TeamsHarness;
  beforeAll(async () => {
    harness.connector = await new FakeConnector().start();
    harness.tenantId = randomUUID();
    const config = loadConfig({
      PORT: "0",
      MONGODB_URI: inject("mongoUri"),
      QOPS_ROLE: "web",
      NODE_ENV: "test",
      ...options.env,
      // With an app id, tokens are checked against the fake Bot Framework's published keys.
      ...(options.env?.MICROSOFT_APP_ID
        ? { MICROSOFT_OPENID_METADATA_URL: `${harness.connector.url}/.well-known/openidconfiguration` }
        : {}),
    });
    harness.app = await startApp({
      config,
      logger: capturingLogger(harness.logs),
      dbName: `qops_teams_${randomBytes(4).toString("hex")}`,
      // Never today's date or hour: a running clock from a fixed Monday morning, unless given.
      clock: options.clock ?? runningClock(),
    });
    harness.url = `http://127.0.0.1:${harness.app.port}/api/messages`;
  });
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase();
    await harness.app?.stop();
    await harness.connector?.stop();
  });
  return harness;
}

export const teamsUser = (name: string): TeamsUser => {
  const aadObjectId = randomUUID();
  return { aadObjectId, id: `29:${aadObjectId.slice(0, 8)}`, name };
};

type Where = { conversationId?: string; personal?: boolean; mentions?: TeamsUser[]; timezone?: string };

/** The fields every activity from this person carries, as Teams sends them. */
export function base(h: TeamsHarness, from: TeamsUser, where: Where = {}) {
  const personal = where.personal ?? !where.conversationId;
  const conversationId = where.conversationId ?? `a:personal-${from.id}`;
  return {
    id: `act-${randomUUID()}`,
    channelId: "msteams",
    serviceUrl: h.connector.url,
    timestamp: new Date().toISOString(),
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { id: "28:qops-bot", name: "QOps" },
    conversation: {
      id: conversationId,
      tenantId: h.tenantId,
      conversationType: personal ? "personal" : "channel",
      ...(personal ? {} : { isGroup: true }),
    },
    channelData: {
      tenant: { id: h.tenantId },
      ...(personal ? {} : { team: { id: TEAM_ID }, channel: { id: conversationId } }),
    },
  };
}

export async function post(
  h: TeamsHarness,
  activity: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(h.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(activity),
  });
}

/** Types a command to the bot and waits for its reply in the same conversation. */
export async function say(h: TeamsHarness, from: TeamsUser, text: string, where: Where = {}) {
  const activity = {
    ...base(h, from, where),
    type: "message",
    text: where.conversationId ? `<at>QOps</at> ${text}` : text,
    localTimezone: where.timezone ?? "Europe/Berlin",
    entities: [
      ...(where.conversationId
        ? [{ type: "mention", text: "<at>QOps</at>", mentioned: { id: "28:qops-bot", name: "QOps" } }]
        : []),
      // Teams mentions carry the Teams id only, never the Entra object id.
      ...(where.mentions ?? []).map((u) => ({
        type: "mention",
        text: `<at>${u.name}</at>`,
        mentioned: { id: u.id, name: u.name },
      })),
    ],
  };
  const started = performance.now();
  const response = await post(h, activity);
  const ackMs = performance.now() - started;
  if (response.status !== 200) throw new Error(`message answered ${response.status}`);
  const replyCall = await h.connector.waitFor(() =>
    h.connector.calls.find((c) => c.activityId === activity.id),
  );
  // What the person reads: markdown escapes are the client's business.
  const body = replyCall.body as { text: string; attachments?: { content: Card }[] };
  return { ...body, text: unescaped(String(body.text ?? "")), ackMs, repliedMs: performance.now() - started };
}

export interface Card {
  body: Record<string, unknown>[];
  actions?: Record<string, unknown>[];
}

/** Presses an Action.Execute button (or submits a card form) and returns the refreshed card. */
export async function press(
  h: TeamsHarness,
  from: TeamsUser,
  verb: string,
  data: Record<string, unknown>,
  where: Where = {},
): Promise<{ status: number; card: Card; raw: Record<string, unknown> }> {
  const activity = {
    ...base(h, from, where),
    type: "invoke",
    name: "adaptiveCard/action",
    value: { action: { type: "Action.Execute", verb, data }, trigger: "manual" },
  };
  const response = await post(h, activity);
  const raw = (await response.json()) as Record<string, unknown>;
  return { status: response.status, card: raw.value as Card, raw };
}

/** Markdown as a Teams client shows it: backslash escapes gone. */
export const unescaped = (markdown: string) => markdown.replace(/\\([\\*_[\]()`~>#+.-])/g, "$1");

/** Every text in a card (or any JSON), for assertions on what a person reads. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return unescaped(value);
  if (Array.isArray(value)) return value.map(textOf).join("\n");
  if (value && typeof value === "object") {
    return Object.entries(value)
      .filter(([k]) => !["data", "verb", "fallback", "type", "$schema", "version", "id", "style"].includes(k))
      .map(([, v]) => textOf(v))
      .join("\n");
  }
  return "";
}

/** The Action.Execute verbs on a card, including those inside ShowCard forms. */
export function verbsOf(card: Card | undefined): string[] {
  const verbs: string[] = [];
  const walk = (actions: Record<string, unknown>[] | undefined) => {
    for (const a of actions ?? []) {
      if (a.type === "Action.Execute") verbs.push(String(a.verb));
      if (a.type === "Action.ShowCard") walk((a.card as Card).actions);
    }
  };
  walk(card?.actions);
  return verbs;
}

/** Installs QOps in the quality channel's team (conversationUpdate with the bot added). */
export async function installInTeam(h: TeamsHarness, by: TeamsUser): Promise<void> {
  const activity = {
    ...base(h, by, { conversationId: QUALITY_CONVERSATION }),
    type: "conversationUpdate",
    membersAdded: [{ id: "28:qops-bot" }],
  };
  const response = await post(h, activity);
  if (response.status !== 200) throw new Error(`conversationUpdate answered ${response.status}`);
}

/** The id a form card carries (its submit button's data). */
export function formIdOf(card: Card | undefined): string {
  const data = card?.actions?.[0]?.data as { formId?: string } | undefined;
  if (!data?.formId) throw new Error(`not a form card: ${JSON.stringify(card).slice(0, 200)}`);
  return data.formId;
}

/** The Action.Execute buttons of a card (ShowCard forms included), as a client sees them. */
export function executesOf(card: Card | undefined): { verb: string; data: Record<string, unknown> }[] {
  const found: { verb: string; data: Record<string, unknown> }[] = [];
  const walk = (actions: Record<string, unknown>[] | undefined) => {
    for (const a of actions ?? []) {
      if (a.type === "Action.Execute")
        found.push({ verb: String(a.verb), data: (a.data ?? {}) as Record<string, unknown> });
      if (a.type === "Action.ShowCard") walk((a.card as Card).actions);
    }
  };
  walk(card?.actions);
  for (const item of card?.body ?? [])
    if (item.type === "ActionSet") walk(item.actions as Record<string, unknown>[]);
  return found;
}

/**
 * Presses the button `verb` on `card` the way Teams does: its own data, plus what the person
 * filled in (Teams merges the card's inputs into the data).
 */
export function pressOn(
  h: TeamsHarness,
  from: TeamsUser,
  card: Card | undefined,
  verb: string,
  values: Record<string, unknown> = {},
  where: Where = {},
) {
  const button = executesOf(card).find((e) => e.verb === verb);
  if (!button)
    throw new Error(
      `no "${verb}" on the card; it has ${executesOf(card)
        .map((e) => e.verb)
        .join(", ")}`,
    );
  return press(h, from, verb, { ...button.data, ...values }, where);
}

/** Submits a form card (its first button) with these values. */
export function submit(
  h: TeamsHarness,
  from: TeamsUser,
  card: Card | undefined,
  values: Record<string, unknown>,
  where: Where = {},
) {
  const button = executesOf(card)[0];
  if (!button) throw new Error(`not a form card: ${JSON.stringify(card).slice(0, 200)}`);
  return press(h, from, button.verb, { ...button.data, ...values }, where);
}

/** The card of the latest message QOps posted in a conversation that names `about`. */
export function postedCard(h: TeamsHarness, conversationId: string, about: string): Card | undefined {
  const calls = [...h.connector.sent(conversationId), ...h.connector.updates(conversationId)];
  const call = calls.reverse().find((c) => JSON.stringify(c.body).includes(about));
  return (call?.body.attachments as { content: Card }[] | undefined)?.[0]?.content;
}

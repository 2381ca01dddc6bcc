import { ConfigurationServiceClientCredentialFactory } from "botbuilder";
import type { TeamsSettings } from "../../config/index.js";
import type { Logger } from "../../logger.js";
import { DeliveryFailure } from "../ports.js";

/** What the Bot Connector service answered, for the callers that decide what to do about it. */
export class ConnectorError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = "ConnectorError";
  }

  /** As a delivery outcome: Teams' 429/412/502/503/504 are retried; 4xx otherwise is final. */
  toDeliveryFailure(): DeliveryFailure {
    if (this.status === 429)
      return new DeliveryFailure("rate_limited", this.message, this.retryAfterMs || 1000);
    if (this.status === 0 || this.status === 412 || this.status >= 500)
      return new DeliveryFailure("transient", this.message, this.retryAfterMs || 2000);
    return new DeliveryFailure("permanent", this.message);
  }
}

export interface Activity {
  type: string;
  text?: string;
  attachments?: { contentType: string; content: unknown }[];
  channelData?: Record<string, unknown>;
  replyToId?: string;
  [key: string]: unknown;
}

/** Teams limits: per conversation 7 messages/s and 60 per 30 s; per app and tenant ~30 requests/s. */
const PER_TENANT_PER_SECOND = 28;
const PER_CONVERSATION = [
  { windowMs: 1000, max: 7 },
  { windowMs: 30_000, max: 60 },
];

/**
 * Evenly spaced sends per key: a burst at the limit arrives at the service bunched up and is
 * answered 429 (which pauses the whole workspace); spacing keeps every window under it.
 */
class Spacer {
  private readonly next = new Map<string, number>();

  async wait(key: string, intervalMs: number): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next.get(key) ?? 0);
    this.next.set(key, at + intervalMs);
    if (this.next.size > 10_000) this.next.delete(this.next.keys().next().value ?? "");
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}

/** Sliding windows of send times; `wait` resolves when one more send stays under every limit. */
class Pacer {
  private readonly sent = new Map<string, number[]>();

  async wait(key: string, limits: { windowMs: number; max: number }[]): Promise<void> {
    for (;;) {
      const now = Date.now();
      const longest = Math.max(...limits.map((l) => l.windowMs));
      const times = (this.sent.get(key) ?? []).filter((t) => t > now - longest);
      let delay = 0;
      for (const limit of limits) {
        const inWindow = times.filter((t) => t > now - limit.windowMs);
        if (inWindow.length >= limit.max) {
          const oldest = inWindow[inWindow.length - limit.max] ?? now;
          delay = Math.max(delay, oldest + limit.windowMs - now + 1);
        }
      }
      if (delay === 0) {
        times.push(now);
        this.sent.set(key, times);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * A small Bot Connector REST client (v3), used for every message QOps sends to Teams. Unlike
 * the SDK's client it does not retry on its own, so the caller decides: a reply is retried a
 * few times after Retry-After, a reminder goes back to the delivery engine. It paces itself
 * under Teams' published limits.
 */
export class BotConnector {
  private readonly pacer = new Pacer();
  private readonly spacer = new Spacer();
  private readonly credentials: ConfigurationServiceClientCredentialFactory | null;

  constructor(
    private readonly settings: TeamsSettings,
    private readonly logger: Logger,
    private readonly timeoutMs = 15_000,
  ) {
    this.credentials = settings.appId
      ? new ConfigurationServiceClientCredentialFactory({
          MicrosoftAppId: settings.appId,
          MicrosoftAppPassword: settings.appPassword,
          MicrosoftAppType: settings.appType,
          MicrosoftAppTenantId: settings.tenantId,
        })
      : null;
  }

  get botId(): string {
    return this.settings.appId || "qops";
  }

  private async authorization(): Promise<Record<string, string>> {
    if (!this.credentials) return {}; // local mode: the Emulator and the test connector need no token
    const tenant = this.settings.appType === "MultiTenant" ? "botframework.com" : this.settings.tenantId;
    const creds = (await this.credentials.createCredentials(
      this.settings.appId,
      "https://api.botframework.com",
      `https://login.microsoftonline.com/${tenant}`,
      true,
    )) as unknown as { getToken?: (force?: boolean) => Promise<string> };
    const token = creds.getToken ? await creds.getToken() : "";
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private async call<T>(
    method: string,
    serviceUrl: string,
    path: string,
    body: unknown,
    pace: { tenantId: string; conversationId?: string },
  ): Promise<T> {
    await this.spacer.wait(`tenant:${pace.tenantId}`, 1000 / PER_TENANT_PER_SECOND);
    if (pace.conversationId) await this.pacer.wait(`conversation:${pace.conversationId}`, PER_CONVERSATION);
    const url = `${serviceUrl.replace(/\/+$/, "")}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { "content-type": "application/json", ...(await this.authorization()) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ConnectorError(0, `Bot Connector unreachable: ${(error as Error).message}`, 0);
    }
    const text = await response.text();
    if (!response.ok) {
      const retryAfter = Number(response.headers.get("retry-after") ?? "");
      throw new ConnectorError(
        response.status,
        `Bot Connector answered ${response.status} to ${method} ${path}: ${text.slice(0, 200)}`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0,
      );
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  send(serviceUrl: string, tenantId: string, conversationId: string, activity: Activity) {
    const path = activity.replyToId
      ? `/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activity.replyToId)}`
      : `/v3/conversations/${encodeURIComponent(conversationId)}/activities`;
    return this.call<{ id?: string }>("POST", serviceUrl, path, activity, { tenantId, conversationId });
  }

  update(
    serviceUrl: string,
    tenantId: string,
    conversationId: string,
    activityId: string,
    activity: Activity,
  ) {
    return this.call<{ id?: string }>(
      "PUT",
      serviceUrl,
      `/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityId)}`,
      { ...activity, id: activityId },
      { tenantId, conversationId },
    );
  }

  /** Opens (or finds) the one-to-one conversation with a member of the tenant. */
  createPersonalConversation(serviceUrl: string, tenantId: string, teamsUserId: string) {
    return this.call<{ id: string }>(
      "POST",
      serviceUrl,
      "/v3/conversations",
      {
        isGroup: false,
        bot: { id: this.botId },
        members: [{ id: teamsUserId }],
        tenantId,
        channelData: { tenant: { id: tenantId } },
      },
      { tenantId },
    );
  }

  /** One page of a team's or chat's roster. */
  pagedMembers(serviceUrl: string, tenantId: string, conversationId: string, continuationToken?: string) {
    const query = `pageSize=500${continuationToken ? `&continuationToken=${encodeURIComponent(continuationToken)}` : ""}`;
    return this.call<{ members?: RosterMember[]; continuationToken?: string }>(
      "GET",
      serviceUrl,
      `/v3/conversations/${encodeURIComponent(conversationId)}/pagedmembers?${query}`,
      undefined,
      { tenantId },
    );
  }

  member(serviceUrl: string, tenantId: string, conversationId: string, teamsUserId: string) {
    return this.call<RosterMember>(
      "GET",
      serviceUrl,
      `/v3/conversations/${encodeURIComponent(conversationId)}/members/${encodeURIComponent(teamsUserId)}`,
      undefined,
      { tenantId },
    );
  }

  /**
   * Sends with a few retries (429 after Retry-After, 412/5xx with backoff): for replies and
   * channel posts, whose record is already saved. Throws the last ConnectorError.
   */
  async sendWithRetry(
    serviceUrl: string,
    tenantId: string,
    conversationId: string,
    activity: Activity,
    attempts = 4,
  ): Promise<{ id?: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(serviceUrl, tenantId, conversationId, activity);
      } catch (error) {
        if (!(error instanceof ConnectorError) || attempt >= attempts) throw error;
        const failure = error.toDeliveryFailure();
        if (failure.kind === "permanent") throw error;
        const wait = Math.min(failure.retryAfterMs * (failure.kind === "rate_limited" ? 1 : attempt), 30_000);
        this.logger.warn({ status: error.status, attempt, waitMs: wait }, "Bot Connector refused; retrying");
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}

export interface RosterMember {
  id: string;
  name?: string;
  aadObjectId?: string;
  userPrincipalName?: string;
  userRole?: string;
  tenantId?: string;
}

import { webApi } from "@slack/bolt";
import type { Logger } from "../../logger.js";
import {
  type Delivered,
  DeliveryFailure,
  type MessagingPort,
  type OutboundMessage,
  type PlatformMember,
} from "../ports.js";
import { actionsBlock, header, plainSection } from "./presenters/text.js";

/** Slack errors after which the message may have been posted: check before sending again. */
const MAYBE_POSTED = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

/** Turns a Web API failure into what the delivery engine needs to know. */
export function classifySlackError(error: unknown): DeliveryFailure {
  const e = error as {
    code?: string;
    retryAfter?: number;
    data?: { error?: string };
    statusCode?: number;
    message?: string;
  };
  const message = e.message ?? String(error);
  switch (e.code) {
    case webApi.ErrorCode.RateLimitedError:
      return new DeliveryFailure("rate_limited", message, (e.retryAfter ?? 1) * 1000);
    case webApi.ErrorCode.PlatformError: {
      const slackError = e.data?.error ?? "";
      if (slackError === "ratelimited") return new DeliveryFailure("rate_limited", message, 1000);
      if (MAYBE_POSTED.has(slackError)) return new DeliveryFailure("uncertain", message);
      return new DeliveryFailure("permanent", message);
    }
    case webApi.ErrorCode.HTTPError:
      return new DeliveryFailure((e.statusCode ?? 500) >= 500 ? "uncertain" : "permanent", message);
    case webApi.ErrorCode.RequestError:
      // The request did not get through (connection refused, DNS): nothing was posted.
      return new DeliveryFailure("transient", message);
    default:
      // A timeout or anything unknown: it may have been posted.
      return new DeliveryFailure("uncertain", message);
  }
}

export function renderOutbound(message: OutboundMessage) {
  return [
    ...(message.title ? [header(message.title)] : []),
    ...(message.lines?.length ? [plainSection(message.lines.join("\n"))] : []),
    ...actionsBlock(message.buttons ?? []),
  ];
}

/**
 * The messaging port over Slack's Web API. Its client neither retries nor waits on 429: the
 * delivery engine does both durably (a retry in memory is lost with the process).
 */
export class SlackMessagingPort implements MessagingPort {
  readonly platform = "slack" as const;
  private readonly client: webApi.WebClient;

  constructor(botToken: string, apiUrl: string, logger: Logger) {
    this.client = new webApi.WebClient(botToken, {
      slackApiUrl: apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: 10_000,
      logger: {
        debug: () => {},
        info: () => {},
        warn: (...m: unknown[]) => logger.warn(m.map(String).join(" ")),
        error: (...m: unknown[]) => logger.warn(m.map(String).join(" ")),
        setLevel: () => {},
        getLevel: () => webApi.LogLevel.WARN,
        setName: () => {},
      },
    });
  }

  async sendDirect(_workspaceId: string, userId: string, message: OutboundMessage): Promise<Delivered> {
    try {
      const posted = await this.client.chat.postMessage({
        channel: userId,
        text: message.text,
        blocks: renderOutbound(message),
        // Carried with the message so an uncertain send can be found again.
        metadata: { event_type: "qops_delivery", event_payload: { delivery_id: message.deliveryId } },
      });
      return { channelId: posted.channel ?? userId, ts: posted.ts ?? "" };
    } catch (error) {
      throw classifySlackError(error);
    }
  }

  async findDelivered(_workspaceId: string, userId: string, deliveryId: string): Promise<Delivered | null> {
    try {
      const opened = await this.client.conversations.open({ users: userId });
      const channel = opened.channel?.id;
      if (!channel) return null;
      const history = await this.client.conversations.history({
        channel,
        limit: 50,
        include_all_metadata: true,
      });
      const match = history.messages?.find(
        (m) =>
          (m.metadata?.event_payload as { delivery_id?: string } | undefined)?.delivery_id === deliveryId,
      );
      return match?.ts ? { channelId: channel, ts: match.ts } : null;
    } catch (error) {
      throw classifySlackError(error);
    }
  }

  async listMembers(): Promise<PlatformMember[]> {
    const members: PlatformMember[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
      for (const u of page.members ?? []) {
        if (!u.id || u.deleted || u.is_bot || u.is_app_user || u.id === "USLACKBOT") continue;
        members.push({
          userId: u.id,
          name: u.real_name || u.name || u.id,
          tz: u.tz || "UTC",
          isGuest: Boolean(u.is_restricted || u.is_ultra_restricted),
        });
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return members;
  }
}

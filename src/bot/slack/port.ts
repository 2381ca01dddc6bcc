import { webApi } from "@slack/bolt";
import type { Logger } from "../../logger.js";
import type { MessagingPort, PlatformMember, Posted, Recipient, SendResult } from "../../outbox/port.js";
import { DeliveryFailure } from "../../outbox/port.js";
import type { MessageView } from "../../views/types.js";
import { blocks, messageText } from "./render.js";

/** Slack errors after which the message may have been posted: look before sending again. */
const MAYBE_POSTED = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout"]);
/** Network errors that mean the request never reached Slack: nothing was posted. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Turns a Web API failure into what the delivery engine needs to know. */
export function classifySlackError(error: unknown): DeliveryFailure {
  const e = error as {
    code?: string;
    retryAfter?: number;
    data?: { error?: string };
    statusCode?: number;
    message?: string;
    original?: { code?: string };
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
      if (e.statusCode === 429) return new DeliveryFailure("rate_limited", message, 1000);
      return new DeliveryFailure((e.statusCode ?? 500) >= 500 ? "uncertain" : "permanent", message);
    case webApi.ErrorCode.RequestError:
      // Refused or unresolvable: nothing reached Slack. A timeout or a reset may have been posted.
      return new DeliveryFailure(NOT_SENT.has(e.original?.code ?? "") ? "transient" : "uncertain", message);
    default:
      return new DeliveryFailure("uncertain", message);
  }
}

function quietLogger(logger: Logger) {
  return {
    debug: () => {},
    info: () => {},
    warn: (...m: unknown[]) => logger.warn(m.map(String).join(" ")),
    error: (...m: unknown[]) => logger.warn(m.map(String).join(" ")),
    setLevel: () => {},
    getLevel: () => webApi.LogLevel.WARN,
    setName: () => {},
  };
}

/**
 * The messaging port over Slack's Web API. Its client neither retries nor waits on 429: the
 * delivery engine does both durably (a retry in memory is lost with the process), and a retry
 * here would post blindly after a timeout.
 */
export class SlackMessagingPort implements MessagingPort {
  readonly platform = "slack" as const;
  readonly canLookUp = true;
  readonly usesContacts = false;
  private readonly client: webApi.WebClient;
  /** Each person's direct-message channel, once learnt (a post's answer, or conversations.open). */
  private readonly dms = new Map<string, string>();

  constructor(botToken: string, apiUrl: string, logger: Logger, timeoutMs = 10_000) {
    this.client = new webApi.WebClient(botToken, {
      slackApiUrl: apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: timeoutMs,
      logger: quietLogger(logger),
    });
  }

  private dmKey = (r: Recipient) => `${r.workspaceId}|${r.id}`;

  async send(recipient: Recipient, view: MessageView, deliveryId: string): Promise<SendResult> {
    const channel =
      recipient.to === "channel"
        ? recipient.id
        : (recipient.knownChannel ?? this.dms.get(this.dmKey(recipient)) ?? recipient.id);
    try {
      const posted = await this.client.chat.postMessage({
        channel,
        text: messageText(view),
        blocks: blocks(view),
        // Carried with the message so an uncertain send can be found again.
        metadata: { event_type: "qops_delivery", event_payload: { delivery_id: deliveryId } },
      });
      const channelId = posted.channel ?? channel;
      if (recipient.to === "person") this.remember(recipient, channelId);
      return { posted: { channelId, ts: posted.ts ?? "" } };
    } catch (error) {
      throw classifySlackError(error);
    }
  }

  async update(_recipient: Recipient, posted: Posted, view: MessageView): Promise<void> {
    try {
      await this.client.chat.update({
        channel: posted.channelId,
        ts: posted.ts,
        text: messageText(view),
        blocks: blocks(view),
      });
    } catch (error) {
      throw classifySlackError(error);
    }
  }

  async findDelivered(recipient: Recipient, deliveryId: string): Promise<Posted | null> {
    try {
      let channel =
        recipient.to === "channel"
          ? recipient.id
          : (recipient.knownChannel ?? this.dms.get(this.dmKey(recipient)));
      if (!channel) {
        channel = (await this.client.conversations.open({ users: recipient.id })).channel?.id;
        if (!channel) return null;
        this.remember(recipient, channel);
      }
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

  private remember(recipient: Recipient, channel: string): void {
    this.dms.set(this.dmKey(recipient), channel);
    if (this.dms.size > 50_000) this.dms.clear();
  }

  async listMembers(): Promise<{ members: PlatformMember[]; contacts: [] }> {
    const members: PlatformMember[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
      for (const u of page.members ?? []) {
        if (!u.id || u.deleted || u.is_bot || u.is_app_user || u.id === "USLACKBOT") continue;
        members.push({
          userId: u.id,
          name: u.real_name || u.name || u.id,
          tz: u.tz || null,
          isGuest: Boolean(u.is_restricted || u.is_ultra_restricted),
        });
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return { members, contacts: [] };
  }
}

import { type ConversationReference, TeamsInfo, TurnContext } from "botbuilder";
import type { Logger } from "../../logger.js";
import {
  DeliveryFailure,
  type MessagingPort,
  type PlatformMember,
  type Posted,
  type Recipient,
  type SendResult,
  type StoredContact,
} from "../../outbox/port.js";
import type { MessageView } from "../../views/types.js";
import type { QopsCloudAdapter } from "./adapter.js";
import { attachment } from "./cards.js";
import { messageCard, messageText } from "./render.js";

/** Teams: per conversation 7 messages a second and 60 per 30 s; per app and tenant ~30 requests a second. */
const PER_CONVERSATION = [
  { windowMs: 1000, max: 7 },
  { windowMs: 30_000, max: 60 },
];
const PER_TENANT_PER_SECOND = 28;

/** A roster entry: enough to open a personal chat with someone QOps has not talked to yet. */
export interface RosterReference {
  kind: "roster";
  serviceUrl: string;
  tenantId: string;
  teamsUserId: string;
  name?: string;
}

/** Sliding windows of send times per conversation; `wait` resolves when one more stays under every limit. */
class Pacer {
  private readonly sent = new Map<string, number[]>();

  async wait(key: string): Promise<void> {
    for (;;) {
      const now = Date.now();
      const times = (this.sent.get(key) ?? []).filter((t) => t > now - 30_000);
      let delay = 0;
      for (const limit of PER_CONVERSATION) {
        const inWindow = times.filter((t) => t > now - limit.windowMs);
        if (inWindow.length >= limit.max)
          delay = Math.max(delay, (inWindow[inWindow.length - limit.max] ?? now) + limit.windowMs - now + 1);
      }
      if (delay === 0) {
        times.push(now);
        this.sent.set(key, times);
        if (this.sent.size > 10_000) this.sent.delete(this.sent.keys().next().value ?? "");
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Runs a proactive turn so that its failure reaches the caller. The adapter hands an error thrown
 * in a turn to its onTurnError (which logs it) and resolves as if all went well, so a failed send
 * would count as sent; here the error is kept and thrown once the turn is over.
 */
async function proactive(
  start: (logic: (context: TurnContext) => Promise<void>) => Promise<void>,
  logic: (context: TurnContext) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | null = null;
  await start(async (context) => {
    try {
      await logic(context);
    } catch (error) {
      failure = { error };
    }
  });
  if (failure) throw (failure as { error: unknown }).error;
}

/** Turns a connector failure into what the delivery engine needs to know. */
export function classifyTeamsError(error: unknown): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  const e = error as {
    statusCode?: number;
    code?: string;
    name?: string;
    message?: string;
    response?: { headers?: { get?: (n: string) => string | undefined } };
  };
  const message = e.message ?? String(error);
  const status = e.statusCode ?? 0;
  if (status === 429) {
    const retryAfter = Number(e.response?.headers?.get?.("retry-after") ?? "");
    return new DeliveryFailure(
      "rate_limited",
      message,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000,
    );
  }
  if (status === 0) {
    // Refused before anything was sent: not posted. A timeout or a reset: it may have been.
    const refused = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message) || e.code === "ECONNREFUSED";
    return new DeliveryFailure(refused ? "transient" : "uncertain", message);
  }
  if (status === 412 || status >= 500) return new DeliveryFailure("uncertain", message);
  return new DeliveryFailure("permanent", message);
}

/**
 * Proactive messages through botbuilder: a stored conversation reference is continued
 * (`continueConversationAsync`), a person known only from a roster gets a personal chat first
 * (`createConversationAsync`), whose reference is handed back to keep. Teams offers no way to
 * read a sent message back, so a send that may have been posted is not looked up but left
 * unconfirmed (see README); the engine keeps to the per-tenant budget across workers.
 */
export class TeamsMessagingPort implements MessagingPort {
  readonly platform = "teams" as const;
  readonly canLookUp = false;
  readonly usesContacts = true;
  readonly perWorkspacePerSecond = PER_TENANT_PER_SECOND;
  private readonly pacer = new Pacer();

  constructor(
    private readonly adapter: QopsCloudAdapter,
    private readonly appId: string,
    private readonly logger: Logger,
  ) {}

  private activity(view: MessageView, zone: string, deliveryId: string) {
    return {
      type: "message" as const,
      text: messageText(view.text, zone),
      textFormat: "markdown",
      attachments: [attachment(messageCard(view))],
      channelData: { qopsDeliveryId: deliveryId },
    };
  }

  async send(recipient: Recipient, view: MessageView, deliveryId: string): Promise<SendResult> {
    const reference = recipient.contact?.reference;
    if (!reference)
      throw new DeliveryFailure(
        "permanent",
        `QOps has no way to reach ${recipient.id} in Teams yet: they need QOps installed (personally or in a team they belong to).`,
      );
    const activity = this.activity(view, recipient.zone, deliveryId);
    try {
      if (reference.kind === "roster")
        return await this.openAndSend(recipient, reference as unknown as RosterReference, activity);
      const ref = reference as Partial<ConversationReference>;
      await this.pacer.wait(ref.conversation?.id ?? recipient.id);
      let id = "";
      await proactive(
        (logic) => this.adapter.continueConversationAsync(this.appId, ref, logic),
        async (context) => {
          id = (await context.sendActivity(activity))?.id ?? "";
        },
      );
      return { posted: { channelId: ref.conversation?.id ?? "", ts: id } };
    } catch (error) {
      throw classifyTeamsError(error);
    }
  }

  private async openAndSend(
    recipient: Recipient,
    roster: RosterReference,
    activity: ReturnType<TeamsMessagingPort["activity"]>,
  ): Promise<SendResult> {
    let id = "";
    let created: Partial<ConversationReference> | null = null;
    await proactive(
      (logic) =>
        this.adapter.createConversationAsync(
          this.appId,
          "msteams",
          roster.serviceUrl,
          "",
          {
            isGroup: false,
            bot: { id: this.appId || "qops", name: "QOps" },
            members: [{ id: roster.teamsUserId, name: roster.name ?? "" }],
            tenantId: roster.tenantId,
            channelData: { tenant: { id: roster.tenantId } },
          } as never,
          logic,
        ),
      async (context) => {
        created = TurnContext.getConversationReference(context.activity);
        id = (await context.sendActivity(activity))?.id ?? "";
      },
    );
    this.logger.debug({ userId: recipient.id }, "opened a personal chat with the member");
    const reference = created as Partial<ConversationReference> | null;
    return {
      posted: { channelId: reference?.conversation?.id ?? "", ts: id },
      ...(reference
        ? { contact: { userId: recipient.id, reference: reference as unknown as Record<string, unknown> } }
        : {}),
    };
  }

  async update(recipient: Recipient, posted: Posted, view: MessageView): Promise<void> {
    const ref = recipient.contact?.reference as Partial<ConversationReference> | undefined;
    if (!ref || (ref as { kind?: string }).kind === "roster")
      throw new DeliveryFailure("permanent", "no conversation to update the message in");
    try {
      await this.pacer.wait(posted.channelId);
      await proactive(
        (logic) => this.adapter.continueConversationAsync(this.appId, ref, logic),
        async (context) => {
          await context.updateActivity({ ...this.activity(view, recipient.zone, ""), id: posted.ts });
        },
      );
    } catch (error) {
      throw classifyTeamsError(error);
    }
  }

  async findDelivered(): Promise<Posted | null> {
    return null;
  }

  /**
   * The members of every team QOps is installed in (paged rosters, read through the team's
   * channel reference), plus the people who talked to it directly; each roster entry comes back
   * as a contact to keep.
   */
  async listMembers(
    workspaceId: string,
    known: StoredContact[],
  ): Promise<{ members: PlatformMember[]; contacts: StoredContact[] }> {
    const found = new Map<string, PlatformMember>();
    const contacts: StoredContact[] = [];
    const teams = new Map<string, Partial<ConversationReference>>();
    for (const c of known) {
      const ref = c.reference as Partial<ConversationReference> & {
        conversation?: { conversationType?: string };
      };
      const teamId = (ref as { teamId?: string }).teamId;
      if (c.userId.startsWith("conversation:") && teamId) teams.set(teamId, ref);
    }
    for (const [teamId, ref] of teams) {
      try {
        await proactive(
          (logic) => this.adapter.continueConversationAsync(this.appId, ref, logic),
          async (context) => {
            let token: string | undefined;
            do {
              // The team's roster, asked of the team itself (a channel's reference carries no team).
              const page = await TeamsInfo.getPagedTeamMembers(context, teamId, 500, token);
              for (const m of page.members ?? []) {
                const userId = m.aadObjectId ?? m.id;
                found.set(userId, {
                  userId,
                  name: m.name ?? userId,
                  tz: null,
                  isGuest: m.userRole === "guest",
                });
                contacts.push({
                  userId,
                  reference: {
                    kind: "roster",
                    serviceUrl: ref.serviceUrl ?? "",
                    tenantId: workspaceId.replace(/^teams:/, ""),
                    teamsUserId: m.id,
                    name: m.name,
                  },
                });
              }
              token = page.continuationToken;
            } while (token);
          },
        );
      } catch (error) {
        throw classifyTeamsError(error);
      }
    }
    for (const c of known) {
      if (c.userId.startsWith("conversation:") || c.userId.startsWith("roster:") || found.has(c.userId))
        continue;
      const user = (c.reference as { user?: { name?: string } }).user;
      found.set(c.userId, { userId: c.userId, name: user?.name ?? c.userId, tz: null, isGuest: false });
    }
    return { members: [...found.values()], contacts };
  }
}

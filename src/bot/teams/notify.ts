import type { Viewer } from "../../commands/buttons.js";
import { type Complaint, ComplaintModel } from "../../models/complaint.js";
import { type ImprovementIdea, ImprovementIdeaModel } from "../../models/improvementIdea.js";
import { MemberModel } from "../../models/member.js";
import type { Workspace } from "../../models/workspace.js";
import { type AdaptiveCard, attachment, complaintCard, ideaCard, type Person } from "./cards.js";
import { conversationAddress } from "./conversations.js";
import type { TeamsDeps } from "./turn.js";

const PEOPLE_TTL_MS = 10_000;
/** Up to this age a kept member list is still shown while a fresh one is read. */
const PEOPLE_STALE_MS = 60_000;

/**
 * Messages that follow a change in Teams. The record is saved before any of these run; a
 * send is retried (429 after Retry-After, 412/5xx with backoff), and a final failure is
 * logged with the record's reference, never shown as a lost record.
 */
export class TeamsNotifier {
  constructor(private readonly deps: TeamsDeps) {}

  private async attempt<T>(what: string, ref: string | null, send: () => Promise<T>): Promise<T | null> {
    try {
      return await send();
    } catch (error) {
      this.deps.logger.error({ err: error, ref, what }, "Teams notification failed");
      return null;
    }
  }

  private readonly peopleCache = new Map<
    string,
    { readAt: number; refreshing: boolean; people: Promise<Person[]> }
  >();

  /**
   * The people a QM may choose from (owners): the workspace's known members. Every card with
   * an owner chooser needs them, so they are kept for a few seconds rather than read per card;
   * a list a little older is still shown while a fresh one is read behind it.
   */
  people(workspaceId: string): Promise<Person[]> {
    const cached = this.peopleCache.get(workspaceId);
    const age = cached ? Date.now() - cached.readAt : Number.POSITIVE_INFINITY;
    if (cached && age < PEOPLE_TTL_MS) return cached.people;
    if (cached && age < PEOPLE_STALE_MS) {
      if (!cached.refreshing) {
        cached.refreshing = true;
        this.readPeople(workspaceId).then(
          (people) => this.keepPeople(workspaceId, Promise.resolve(people)),
          (error: unknown) => {
            cached.refreshing = false;
            this.deps.logger.warn({ err: error, workspaceId }, "could not refresh the member list");
          },
        );
      }
      return cached.people;
    }
    const people = this.readPeople(workspaceId);
    people.catch(() => this.peopleCache.delete(workspaceId));
    this.keepPeople(workspaceId, people);
    return people;
  }

  private readPeople(workspaceId: string): Promise<Person[]> {
    return MemberModel.find({ workspaceId, active: true }, { userId: 1, name: 1 })
      .limit(200)
      .lean()
      .then((members) => members.map((m) => ({ id: m.userId, name: m.name || m.userId })));
  }

  private keepPeople(workspaceId: string, people: Promise<Person[]>): void {
    this.peopleCache.set(workspaceId, { readAt: Date.now(), refreshing: false, people });
    if (this.peopleCache.size > 1000) this.peopleCache.delete(this.peopleCache.keys().next().value ?? "");
  }

  /** A direct message in the member's personal chat with QOps. */
  async dm(
    workspaceId: string,
    userId: string,
    text: string,
    card?: AdaptiveCard,
    ref: string | null = null,
  ) {
    return this.attempt("dm", ref, async () => {
      const to = await this.deps.port.personalConversation(workspaceId, userId);
      return this.deps.connector.sendWithRetry(to.serviceUrl, to.tenantId, to.conversationId, {
        type: "message",
        text,
        ...(card ? { attachments: [attachment(card)] } : {}),
      });
    });
  }

  /** Posts to the quality channel; the id of the posted message, or null. */
  async postToQualityChannel(workspace: Workspace, text: string, card: AdaptiveCard, ref: string | null) {
    if (!workspace.qualityChannelId) return null;
    const conversationId = workspace.qualityChannelId;
    const to = await conversationAddress(workspace.workspaceId, conversationId);
    return this.attempt("channel post", ref, async () => {
      if (!to) throw new Error(`no conversation reference for the quality channel ${conversationId}`);
      const sent = await this.deps.connector.sendWithRetry(to.serviceUrl, to.tenantId, conversationId, {
        type: "message",
        text,
        attachments: [attachment(card)],
      });
      return { channelId: conversationId, ts: sent.id ?? "" };
    });
  }

  async postComplaintForTriage(workspace: Workspace, complaint: Complaint): Promise<boolean> {
    const people = await this.people(complaint.workspaceId);
    const posted = await this.postToQualityChannel(
      workspace,
      `New complaint ${complaint.ref}: ${complaint.title}`,
      complaintCard(complaint, { people }),
      complaint.ref,
    );
    if (posted?.ts)
      await ComplaintModel.updateOne({ _id: complaint._id }, { $set: { triageMessage: posted } });
    return Boolean(posted);
  }

  async postIdea(workspace: Workspace, idea: ImprovementIdea): Promise<boolean> {
    const people = await this.people(idea.workspaceId);
    const posted = await this.postToQualityChannel(
      workspace,
      `New improvement idea ${idea.ref}: ${idea.title}`,
      ideaCard(idea, { people }),
      idea.ref,
    );
    if (posted?.ts)
      await ImprovementIdeaModel.updateOne({ _id: idea._id }, { $set: { channelMessage: posted } });
    return Boolean(posted);
  }

  /** Updates a posted card in place, so every viewer sees the new state. */
  private async updateCard(
    workspaceId: string,
    where: { channelId: string; ts: string },
    text: string,
    card: AdaptiveCard,
    ref: string | null,
  ) {
    const to = await conversationAddress(workspaceId, where.channelId);
    if (!to) return;
    await this.attempt("card update", ref, () =>
      this.deps.connector.update(to.serviceUrl, to.tenantId, where.channelId, where.ts, {
        type: "message",
        text,
        attachments: [attachment(card)],
      }),
    );
  }

  async refreshComplaint(complaint: Complaint, viewer: Viewer = "channel"): Promise<void> {
    const stored = await ComplaintModel.findById(complaint._id, { triageMessage: 1 }).lean();
    if (!stored?.triageMessage) return;
    const people = await this.people(complaint.workspaceId);
    await this.updateCard(
      complaint.workspaceId,
      stored.triageMessage,
      `${complaint.ref} is ${complaint.state}`,
      complaintCard(complaint, { viewer, people }),
      complaint.ref,
    );
  }

  async refreshIdea(idea: ImprovementIdea): Promise<void> {
    const stored = await ImprovementIdeaModel.findById(idea._id, { channelMessage: 1 }).lean();
    if (!stored?.channelMessage) return;
    const people = await this.people(idea.workspaceId);
    await this.updateCard(
      idea.workspaceId,
      stored.channelMessage,
      `${idea.ref}: ${idea.title} (${idea.votes.length} votes)`,
      ideaCard(idea, { people }),
      idea.ref,
    );
  }
}

import type { types } from "@slack/bolt";
import type { CommandContext } from "../../commands/context.js";
import { myItems } from "../../commands/registers.js";
import { type Complaint, ComplaintModel } from "../../models/complaint.js";
import type { CorrectiveAction } from "../../models/correctiveAction.js";
import { type ImprovementIdea, ImprovementIdeaModel } from "../../models/improvementIdea.js";
import type { Workspace } from "../../models/workspace.js";
import { homeBlocks } from "./presenters/overview.js";
import { actionMessage, complaintMessage, complaintText, ideaMessage } from "./presenters/records.js";
import type { SlackDeps } from "./requestContext.js";

type KnownBlock = types.KnownBlock;

/**
 * Messages that follow a change. The record is already saved when these run; the Web API
 * client retries 429s (after Retry-After) and 5xx, and a final failure is logged with the
 * record's reference, never shown as a lost record. QMs still find it in the App Home queue.
 */
export class SlackNotifier {
  constructor(private readonly deps: SlackDeps) {}

  private async attempt(what: string, ref: string | null, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      this.deps.logger.error({ err: error, ref, what }, "Slack notification failed");
      return false;
    }
  }

  async dm(userId: string, text: string, blocks?: KnownBlock[], ref: string | null = null): Promise<boolean> {
    return this.attempt("dm", ref, () =>
      this.deps.client.chat.postMessage({ channel: userId, text, ...(blocks ? { blocks } : {}) }),
    );
  }

  async postComplaintForTriage(workspace: Workspace, complaint: Complaint): Promise<boolean> {
    if (!workspace.qualityChannelId) return false;
    const channel = workspace.qualityChannelId;
    return this.attempt("triage post", complaint.ref, async () => {
      const posted = await this.deps.client.chat.postMessage({
        channel,
        text: `New complaint ${complaintText(complaint)}`,
        blocks: complaintMessage(complaint),
      });
      if (posted.ts) {
        await ComplaintModel.updateOne(
          { _id: complaint._id },
          { $set: { triageMessage: { channelId: posted.channel ?? channel, ts: posted.ts } } },
        );
      }
    });
  }

  /** Shows the new state in place on the triage message, wherever the button was pressed. */
  async refreshComplaint(complaint: Complaint): Promise<void> {
    const stored = await ComplaintModel.findById(complaint._id, { triageMessage: 1 }).lean();
    const where = stored?.triageMessage;
    if (!where) return;
    await this.attempt("triage update", complaint.ref, () =>
      this.deps.client.chat.update({
        channel: where.channelId,
        ts: where.ts,
        text: complaintText(complaint),
        blocks: complaintMessage(complaint),
      }),
    );
  }

  async postIdea(workspace: Workspace, idea: ImprovementIdea): Promise<boolean> {
    if (!workspace.qualityChannelId) return false;
    const channel = workspace.qualityChannelId;
    return this.attempt("idea post", idea.ref, async () => {
      const posted = await this.deps.client.chat.postMessage({
        channel,
        text: `New improvement idea ${idea.ref}: ${idea.title}`,
        blocks: ideaMessage(idea),
      });
      if (posted.ts) {
        await ImprovementIdeaModel.updateOne(
          { _id: idea._id },
          { $set: { channelMessage: { channelId: posted.channel ?? channel, ts: posted.ts } } },
        );
      }
    });
  }

  async refreshIdea(idea: ImprovementIdea): Promise<void> {
    const stored = await ImprovementIdeaModel.findById(idea._id, { channelMessage: 1 }).lean();
    const where = stored?.channelMessage;
    if (!where) return;
    await this.attempt("idea update", idea.ref, () =>
      this.deps.client.chat.update({
        channel: where.channelId,
        ts: where.ts,
        text: `${idea.ref}: ${idea.title} (${idea.votes.length} votes)`,
        blocks: ideaMessage(idea),
      }),
    );
  }

  /** A message that shows an action (a DM to its owner, a reply) updated in place. */
  async updateMessage(channelId: string, ts: string, action: CorrectiveAction): Promise<void> {
    await this.attempt("action update", action.ref, () =>
      this.deps.client.chat.update({
        channel: channelId,
        ts,
        text: `${action.ref} is ${action.state}`,
        blocks: actionMessage(action),
      }),
    );
  }

  async publishHome(ctx: CommandContext): Promise<void> {
    const items = await myItems(ctx);
    await this.attempt("home", null, () =>
      this.deps.client.views.publish({
        user_id: ctx.actor.id,
        view: { type: "home", blocks: homeBlocks(items, ctx.actor.id, ctx.now) },
      }),
    );
  }
}

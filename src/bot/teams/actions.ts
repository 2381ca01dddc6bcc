import { randomUUID } from "node:crypto";
import type { ZodType } from "zod";
import {
  completeAction,
  markActionNotEffective,
  snoozeActionReminders,
  startAction,
  verifyActionEffective,
} from "../../commands/actions/actionTransitions.js";
import { actionInput, createAction } from "../../commands/actions/createAction.js";
import { auditInput, scheduleAudit } from "../../commands/audits/auditCommands.js";
import { RECORD_ACTIONS as A, type Viewer } from "../../commands/buttons.js";
import {
  announceAudit,
  auditCommand,
  auditReply,
  docsCommand,
  objectivesCommand,
  reviewCommand,
} from "../../commands/calendarCommands.js";
import {
  acceptComplaint,
  assignComplaintOwner,
  closeComplaint,
  rejectComplaint,
  resolveComplaint,
  startInvestigation,
} from "../../commands/complaints/complaintTransitions.js";
import {
  COMPLAINT_CATEGORIES,
  complaintInput,
  createComplaint,
} from "../../commands/complaints/createComplaint.js";
import { type CommandContext, formatDate, formatWhen } from "../../commands/context.js";
import {
  approveIdea,
  assignIdeaOwner,
  ideaInput,
  implementIdea,
  rejectIdea,
  startIdea,
  submitIdea,
  toggleVote,
} from "../../commands/ideas/ideaCommands.js";
import { KIND_NAMES, loadByRef, type StatefulRecord } from "../../commands/lifecycle.js";
import { hasRole, namesWithRole, requireRole, requireWorkspace } from "../../commands/members.js";
import {
  acknowledgePolicy,
  approvePolicy,
  draftPolicy,
  policyInput,
} from "../../commands/policy/policyCommands.js";
import { stopPolicyReminders } from "../../commands/policy/policyRequests.js";
import { publishAndAsk, publishedText } from "../../commands/policy/publishAndAsk.js";
import { kindOfRef } from "../../db/references.js";
import { isQopsError, QopsError, userMessageFor } from "../../errors.js";
import type { Complaint } from "../../models/complaint.js";
import { SEVERITIES } from "../../models/complaint.js";
import type { CorrectiveAction } from "../../models/correctiveAction.js";
import type { ImprovementIdea } from "../../models/improvementIdea.js";
import { MemberModel } from "../../models/member.js";
import {
  type AdaptiveCard,
  actionCard,
  actionForm,
  answerCard,
  auditForm,
  complaintCard,
  complaintForm,
  type FieldErrors,
  ideaCard,
  ideaForm,
  outboundCard,
  policyDraftForm,
  recordCard,
} from "./cards.js";
import { TEAMS_DIALECT } from "./commands.js";
import { memberAddress } from "./conversations.js";
import { teamsTenant } from "./messagingPort.js";
import type { TeamsNotifier } from "./notify.js";
import { policyCard } from "./policyCards.js";
import { VERBS } from "./surface.js";
import { type InboundActivity, isPersonal, type TeamsDeps } from "./turn.js";

type Data = Record<string, unknown>;

interface Press {
  ctx: CommandContext;
  data: Data;
  ref: string;
  activity: InboundActivity;
  /** Who sees the card this press came from (read alongside the handler's own reads). */
  viewer: Promise<Viewer>;
}

type Changed =
  | { kind: "complaint"; record: Complaint }
  | { kind: "idea"; record: ImprovementIdea }
  | { kind: "action"; record: CorrectiveAction };

const str = (v: unknown) => (typeof v === "string" ? v : v == null ? undefined : String(v));

function fieldErrors(schema: ZodType, values: unknown): FieldErrors | null {
  const parsed = schema.safeParse(values);
  if (parsed.success) return null;
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? "text")] ??= issue.message;
  return errors;
}

/** Form inputs arrive merged into the action's data; only the named fields are read. */
function pick(data: Data, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, str(data[n])]));
}

export class TeamsActions {
  constructor(
    private readonly deps: TeamsDeps,
    private readonly notifier: TeamsNotifier,
  ) {}

  private async cardFor(changed: Changed, press: Press, notice?: string, color?: "Good" | "Attention") {
    const people = await this.notifier.people(press.ctx.workspaceId);
    const options = {
      viewer: await press.viewer,
      people,
      ...(notice ? { notice: { text: notice, color } } : {}),
    };
    return recordCard(
      { kind: changed.kind, record: changed.record } as Parameters<typeof recordCard>[0],
      options,
    );
  }

  /** Shows the change to everyone (the stored channel card) and to the presser (the response). */
  private async done(changed: Changed, press: Press, what: string): Promise<AdaptiveCard> {
    if (changed.kind === "complaint") await this.notifier.refreshComplaint(changed.record);
    if (changed.kind === "idea") await this.notifier.refreshIdea(changed.record);
    return this.cardFor(
      changed,
      press,
      `✅ ${changed.record.ref} ${what} by ${press.ctx.actor.name} at ${formatWhen(press.ctx.now)}.`,
      "Good",
    );
  }

  private async ownerFrom(press: Press): Promise<{ id: string; name: string }> {
    const id = str(press.data.ownerId)?.trim();
    if (!id) throw new QopsError("invalid_input", "Choose a person to own it.");
    const member = await MemberModel.findById(`${press.ctx.workspaceId}/member/${id}`, { name: 1 }).lean();
    const address = member?.name ? null : await memberAddress(press.ctx.workspaceId, id);
    return { id, name: member?.name || address?.name || id };
  }

  /** Sends a form to the presser's personal chat (or here), for buttons that need more input. */
  private async sendForm(press: Press, text: string, form: AdaptiveCard): Promise<string> {
    const { ctx, activity } = press;
    if (!isPersonal(activity)) {
      const sent = await this.notifier.dm(ctx.workspaceId, ctx.actor.id, text, form);
      if (sent) return "I sent you the form in your chat with QOps.";
    }
    const conversationId = activity.conversation?.id;
    if (activity.serviceUrl && conversationId) {
      await this.deps.connector.sendWithRetry(
        activity.serviceUrl,
        teamsTenant(ctx.workspaceId),
        conversationId,
        {
          type: "message",
          text,
          attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: form }],
        },
      );
    }
    return "The form is in the next message.";
  }

  private readonly handlers: Record<string, (press: Press) => Promise<AdaptiveCard>> = {
    [VERBS.refresh]: async (press) => {
      const kind = kindOfRef(press.ref);
      if (kind !== "complaint" && kind !== "idea" && kind !== "action")
        throw new QopsError("not_found", `Nothing to refresh for "${press.ref.slice(0, 40)}".`);
      const record = await loadByRef<StatefulRecord>(press.ctx, kind, press.ref);
      return this.cardFor({ kind, record } as Changed, press);
    },

    [A.complaintAccept]: async (press) => {
      const { record } = await acceptComplaint(press.ctx, press.ref);
      await this.notifier.dm(
        record.workspaceId,
        record.reporter.id,
        `Your complaint ${record.ref} was accepted by ${press.ctx.actor.name}; it is due ${formatDate(record.dueAt)}.`,
        undefined,
        record.ref,
      );
      return this.done({ kind: "complaint", record }, press, "accepted");
    },
    [A.complaintReject]: async (press) => {
      const { record } = await rejectComplaint(press.ctx, press.ref, str(press.data.reason));
      await this.notifier.dm(
        record.workspaceId,
        record.reporter.id,
        `Your complaint ${record.ref} was rejected by ${press.ctx.actor.name}: ${record.rejectionReason}`,
        undefined,
        record.ref,
      );
      return this.done({ kind: "complaint", record }, press, "rejected");
    },
    [A.complaintInvestigate]: async (press) => {
      const { record } = await startInvestigation(press.ctx, press.ref);
      return this.done({ kind: "complaint", record }, press, "moved to investigating");
    },
    [A.complaintResolve]: async (press) => {
      const { record } = await resolveComplaint(press.ctx, press.ref);
      return this.done({ kind: "complaint", record }, press, "marked resolved");
    },
    [A.complaintClose]: async (press) => {
      const told = str(press.data.customerNotified);
      if (told !== "yes" && told !== "no")
        throw new QopsError("invalid_input", "Say whether the customer was told (yes or no).");
      const { record } = await closeComplaint(press.ctx, press.ref, told === "yes");
      await this.notifier.dm(
        record.workspaceId,
        record.reporter.id,
        `Your complaint ${record.ref} was closed by ${press.ctx.actor.name}.`,
        undefined,
        record.ref,
      );
      return this.done({ kind: "complaint", record }, press, "closed");
    },
    [A.complaintAssign]: async (press) => {
      const owner = await this.ownerFrom(press);
      const { record } = await assignComplaintOwner(press.ctx, press.ref, owner);
      await this.notifier.dm(
        record.workspaceId,
        owner.id,
        `📌 ${press.ctx.actor.name} made you the owner of complaint ${record.ref}, due ${formatDate(record.dueAt)}.`,
        complaintCard(record, { viewer: { userId: owner.id, isQm: false } }),
        record.ref,
      );
      return this.done({ kind: "complaint", record }, press, `assigned to ${owner.name}`);
    },
    [A.complaintRaiseAction]: async (press) => this.raiseAction(press, "complaint"),

    [A.ideaVote]: async (press) => {
      const { record } = await toggleVote(press.ctx, press.ref);
      const voted = record.votes.includes(press.ctx.actor.id);
      return this.done(
        { kind: "idea", record },
        press,
        `${voted ? "got a vote" : "lost a vote"} (now ${record.votes.length})`,
      );
    },
    [A.ideaApprove]: async (press) => {
      const { record } = await approveIdea(press.ctx, press.ref);
      await this.notifier.dm(
        record.workspaceId,
        record.submitter.id,
        `💡 Your idea ${record.ref} was approved by ${press.ctx.actor.name}.`,
        undefined,
        record.ref,
      );
      return this.done({ kind: "idea", record }, press, "approved");
    },
    [A.ideaReject]: async (press) => {
      const { record } = await rejectIdea(press.ctx, press.ref, str(press.data.reason));
      await this.notifier.dm(
        record.workspaceId,
        record.submitter.id,
        `Your idea ${record.ref} was not taken up; ${press.ctx.actor.name} said: ${record.rejectionReason}`,
        undefined,
        record.ref,
      );
      return this.done({ kind: "idea", record }, press, "rejected");
    },
    [A.ideaStart]: async (press) =>
      this.done({ kind: "idea", record: (await startIdea(press.ctx, press.ref)).record }, press, "started"),
    [A.ideaImplement]: async (press) =>
      this.done(
        { kind: "idea", record: (await implementIdea(press.ctx, press.ref)).record },
        press,
        "marked implemented",
      ),
    [A.ideaAssign]: async (press) => {
      const owner = await this.ownerFrom(press);
      const { record } = await assignIdeaOwner(press.ctx, press.ref, owner);
      await this.notifier.dm(
        record.workspaceId,
        owner.id,
        `📌 ${press.ctx.actor.name} made you the owner of idea ${record.ref}.`,
        undefined,
        record.ref,
      );
      return this.done({ kind: "idea", record }, press, `assigned to ${owner.name}`);
    },
    [A.ideaRaiseAction]: async (press) => this.raiseAction(press, "idea"),

    [A.actionStart]: async (press) =>
      this.done(
        { kind: "action", record: (await startAction(press.ctx, press.ref)).record },
        press,
        "started",
      ),
    [A.actionComplete]: async (press) =>
      this.done(
        { kind: "action", record: (await completeAction(press.ctx, press.ref)).record },
        press,
        "marked done",
      ),
    [A.actionEffective]: async (press) => {
      const { record } = await verifyActionEffective(press.ctx, press.ref);
      await this.notifier.dm(
        record.workspaceId,
        record.owner.id,
        `✅ ${press.ctx.actor.name} verified ${record.ref} as effective. It is closed.`,
        undefined,
        record.ref,
      );
      return this.done({ kind: "action", record }, press, "verified effective and closed");
    },
    [A.actionNotEffective]: async (press) => {
      const { record } = await markActionNotEffective(press.ctx, press.ref, str(press.data.reason));
      await this.notifier.dm(
        record.workspaceId,
        record.owner.id,
        `🔁 ${press.ctx.actor.name} found ${record.ref} not effective and reopened it: ${record.reopenReason}`,
        actionCard(record, { viewer: { userId: record.owner.id, isQm: false } }),
        record.ref,
      );
      return this.done({ kind: "action", record }, press, "found not effective and reopened");
    },
    [A.actionSnooze]: async (press) => {
      const { record } = await snoozeActionReminders(
        press.ctx,
        press.ref,
        str(press.data.until),
        str(press.data.reason),
      );
      return this.done(
        { kind: "action", record },
        press,
        `reminders paused until ${formatDate(record.snoozedUntil ?? press.ctx.now)}`,
      );
    },

    [A.policyApprove]: async (press) => {
      const { record } = await approvePolicy(press.ctx, press.ref);
      const qms = await MemberModel.find({
        workspaceId: press.ctx.workspaceId,
        roles: "qm",
        active: true,
      }).lean();
      for (const qm of qms) {
        await this.notifier.dm(
          press.ctx.workspaceId,
          qm.userId,
          `${press.ctx.actor.name} approved the quality policy ${record.ref}. Publish it when ready.`,
          policyCard(record, {
            publish: true,
            notice: `✅ ${press.ctx.actor.name} approved ${record.ref}. Publishing asks every member to acknowledge it.`,
          }),
          record.ref,
        );
      }
      return policyCard(record, {
        notice: `✅ ${record.ref} approved by ${press.ctx.actor.name} at ${formatWhen(press.ctx.now)}; the quality managers can publish it now.`,
      });
    },
    [A.policyPublish]: async (press) => {
      const result = await publishAndAsk(press.ctx, press.ref, this.deps.port, this.deps.logger);
      if (result.workspace.qualityChannelId) {
        await this.notifier.postToQualityChannel(
          result.workspace,
          `📣 ${press.ctx.actor.name} published the quality policy ${result.policy.ref}.`,
          policyCard(result.policy, {
            notice: `📣 ${press.ctx.actor.name} published the quality policy ${result.policy.ref}. Everyone will get a message asking them to read and acknowledge it.`,
          }),
          result.policy.ref,
        );
      }
      return policyCard(result.policy, { notice: publishedText(press.ctx, result, "`policy status`") });
    },
    [A.policyAcknowledge]: async (press) => {
      const { acknowledgement, created, policy } = await acknowledgePolicy(press.ctx, press.ref);
      await stopPolicyReminders(policy, press.ctx.actor.id);
      return policyCard(policy, {
        acknowledgedAt: acknowledgement.acknowledgedAt,
        notice: created
          ? `✅ Thank you — your acknowledgement of ${policy.ref} is recorded (${formatWhen(acknowledgement.acknowledgedAt)}).`
          : `You already acknowledged ${policy.ref} on ${formatWhen(acknowledgement.acknowledgedAt)}; nothing more to do.`,
      });
    },

    // ---- The QMS calendar: the same commands as typed ----
    [A.auditStart]: (press) => this.calendar(press, auditCommand, "start"),
    [A.auditReport]: (press) => this.calendar(press, auditCommand, "report"),
    [A.auditClose]: (press) => this.calendar(press, auditCommand, "close"),
    [A.reviewApproveMinutes]: (press) => this.calendar(press, reviewCommand, "approve"),
    [A.documentReviewed]: (press) => this.calendar(press, docsCommand, "reviewed"),
    [A.objectiveRecord]: (press) =>
      this.calendar(press, objectivesCommand, "record", [
        str(press.data.value) ?? "",
        ...(str(press.data.period) ? [str(press.data.period) ?? ""] : []),
      ]),
    [VERBS.auditSubmit]: async (press) => {
      const values = pick(press.data, ["process", "clauses", "date", "checklist", "leadAuditor", "auditees"]);
      const formId = str(press.data.formId) ?? randomUUID();
      const people = await this.notifier.people(press.ctx.workspaceId);
      const errors = fieldErrors(auditInput, values) ?? {};
      if (!values.leadAuditor) errors.leadAuditor = "Choose the lead auditor.";
      if (Object.keys(errors).length) return auditForm(formId, values, errors, people);
      const person = async (id: string) => this.ownerFrom({ ...press, data: { ownerId: id } });
      const leadAuditor = await person(values.leadAuditor ?? "");
      const auditees = await Promise.all(
        (values.auditees ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
          .map(person),
      );
      const ctx = { ...press.ctx, requestId: `form:${formId}` };
      try {
        const { audit, created } = await scheduleAudit(ctx, values, { leadAuditor, auditees });
        if (created) await announceAudit(ctx, audit, "scheduled");
        const reply = auditReply(
          audit,
          created
            ? `✅ ${audit.ref} scheduled by ${ctx.actor.name}: ${audit.process} on ${formatDate(audit.scheduledFor as Date)}, lead auditor ${leadAuditor.name}.`
            : `This form was already sent: it is ${audit.ref}.`,
        );
        return outboundCard({ ...reply, deliveryId: "" });
      } catch (error) {
        if (isQopsError(error) && error.fieldErrors)
          return auditForm(formId, values, error.fieldErrors, people);
        throw error;
      }
    },

    // ---- Forms ----
    [VERBS.complaintSubmit]: async (press) => {
      const values = pick(press.data, [
        "title",
        "description",
        "customer",
        "productRef",
        "severity",
        "category",
      ]);
      const formId = str(press.data.formId) ?? randomUUID();
      const errors = fieldErrors(complaintInput, values);
      if (errors) return complaintForm(formId, values, errors, SEVERITIES, COMPLAINT_CATEGORIES);
      const ctx = { ...press.ctx, requestId: `form:${formId}` };
      const { complaint, workspace, created } = await createComplaint(ctx, values);
      if (!created)
        return complaintCard(complaint, {
          viewer: await press.viewer,
          notice: {
            text: `This form was already sent: it is ${complaint.ref}, logged ${formatWhen(complaint.createdAt)}.`,
            color: "Good",
          },
        });
      const posted = await this.notifier.postComplaintForTriage(workspace, complaint);
      const where = workspace.qualityChannelId
        ? posted
          ? "The quality team triages it in the quality channel."
          : "The quality team will see it in their register (the channel post failed and is logged)."
        : "No quality channel is set yet, so the quality managers will see it in `complaint list`.";
      return complaintCard(complaint, {
        viewer: { userId: ctx.actor.id, isQm: false },
        notice: {
          text: `✅ Logged ${complaint.ref} — ${complaint.severity}, due ${formatDate(complaint.dueAt)}. ${where} You will hear when it is accepted.`,
          color: "Good",
        },
      });
    },
    [VERBS.ideaSubmit]: async (press) => {
      const values = pick(press.data, ["title", "description", "expectedBenefit"]);
      const formId = str(press.data.formId) ?? randomUUID();
      const errors = fieldErrors(ideaInput, values);
      if (errors) return ideaForm(formId, values, errors);
      const ctx = { ...press.ctx, requestId: `form:${formId}` };
      const workspace = await requireWorkspace(ctx);
      const { idea, created } = await submitIdea(ctx, values);
      if (created) await this.notifier.postIdea(workspace, idea);
      return ideaCard(idea, {
        viewer: { userId: ctx.actor.id, isQm: await hasRole(ctx, "qm") },
        notice: {
          text: created
            ? `💡 Thanks — your idea ${idea.ref} is submitted${workspace.qualityChannelId ? " and posted in the quality channel for votes" : ""}. A quality manager will approve or reject it.`
            : `This form was already sent: it is ${idea.ref}.`,
          color: "Good",
        },
      });
    },
    [VERBS.actionSubmit]: async (press) => {
      const values = pick(press.data, [
        "problem",
        "containment",
        "rootCause",
        "plan",
        "actionType",
        "ownerId",
        "dueDate",
      ]);
      const formId = str(press.data.formId) ?? randomUUID();
      const sourceRef = str(press.data.sourceRef) || null;
      const people = await this.notifier.people(press.ctx.workspaceId);
      let errors = fieldErrors(actionInput, values);
      if (errors) return actionForm(formId, sourceRef, values, errors, people);
      const ctx = { ...press.ctx, requestId: `form:${formId}` };
      const owner = await this.ownerFrom(press);
      try {
        const { action, created, source } = await createAction(
          ctx,
          { ...values, ownerName: owner?.name ?? "" },
          sourceRef,
        );
        if (created) {
          await this.notifier.dm(
            ctx.workspaceId,
            action.owner.id,
            `🛠️ ${ctx.actor.name} opened ${action.ref} for you, due ${formatDate(action.dueAt)}.`,
            actionCard(action, { viewer: { userId: action.owner.id, isQm: false } }),
            action.ref,
          );
          if (source?.kind === "complaint")
            await this.notifier.refreshComplaint(
              await loadByRef<Complaint>(ctx, "complaint", source.ref ?? ""),
            );
          if (source?.kind === "idea")
            await this.notifier.refreshIdea(await loadByRef<ImprovementIdea>(ctx, "idea", source.ref ?? ""));
        }
        return actionCard(action, {
          viewer: await press.viewer,
          notice: {
            text: created
              ? `✅ Opened ${action.ref}${source ? ` for ${source.ref}` : ""}, owner ${action.owner.name}, due ${formatDate(action.dueAt)}.`
              : `This form was already sent: it is ${action.ref}.`,
            color: "Good",
          },
        });
      } catch (error) {
        if (isQopsError(error) && error.fieldErrors) {
          errors = error.fieldErrors;
          return actionForm(formId, sourceRef, values, errors, people);
        }
        throw error;
      }
    },
    [VERBS.policyDraftSubmit]: async (press) => {
      const values = pick(press.data, ["text", "link", "summary"]);
      const formId = str(press.data.formId) ?? randomUUID();
      const errors = fieldErrors(policyInput, values);
      if (errors) return policyDraftForm(formId, values, errors);
      const ctx = { ...press.ctx, requestId: `form:${formId}` };
      const policy = await draftPolicy(ctx, values);
      const approvers = await MemberModel.find({
        workspaceId: ctx.workspaceId,
        roles: "top_management",
        active: true,
      }).lean();
      for (const approver of approvers) {
        await this.notifier.dm(
          ctx.workspaceId,
          approver.userId,
          `${ctx.actor.name} drafted the quality policy ${policy.ref}; please review and approve it.`,
          policyCard(policy, { approve: true }),
          policy.ref,
        );
      }
      const who = await namesWithRole(ctx.workspaceId, "top_management");
      return policyCard(policy, {
        notice: who
          ? `📝 Drafted ${policy.ref}. Top management (${who}) has been asked to approve it.`
          : `📝 Drafted ${policy.ref}. Nobody holds the top management role yet: grant it with \`qms roles grant @person top_management\`, who then approves with \`policy approve ${policy.ref}\`.`,
      });
    },
  };

  private async calendar(
    press: Press,
    run: typeof auditCommand,
    verb: string,
    extra: string[] = [],
  ): Promise<AdaptiveCard> {
    const reply = await run(press.ctx, [press.ref, verb, ...extra], async () => null, TEAMS_DIALECT);
    return outboundCard({ ...reply, deliveryId: "" });
  }

  private async raiseAction(press: Press, kind: "complaint" | "idea"): Promise<AdaptiveCard> {
    const source = await loadByRef<Complaint | ImprovementIdea>(press.ctx, kind, press.ref);
    if (source.owner?.id !== press.ctx.actor.id)
      await requireRole(press.ctx, "qm", `raise an action from ${KIND_NAMES[kind]}s you do not own`);
    const problem =
      kind === "complaint" ? `${source.title}\n${(source as Complaint).description}`.trim() : source.title;
    const people = await this.notifier.people(press.ctx.workspaceId);
    const where = await this.sendForm(
      press,
      `Corrective action for ${source.ref}`,
      actionForm(randomUUID(), source.ref, { problem }, {}, people),
    );
    return this.cardFor({ kind, record: source } as Changed, press, `🛠️ ${where}`, "Good");
  }

  /**
   * Runs a pressed button or submitted form and returns the card to show in its place.
   * A refusal comes back as the record's current card with the reason on top.
   */
  async run(ctx: CommandContext, verb: string, data: Data, activity: InboundActivity): Promise<AdaptiveCard> {
    const viewer: Promise<Viewer> = isPersonal(activity)
      ? hasRole(ctx, "qm").then((isQm) => ({ userId: ctx.actor.id, isQm }))
      : Promise.resolve("channel");
    // Awaited where a card is drawn; a handler that fails first must not leave it unhandled.
    viewer.catch(() => undefined);
    const press: Press = { ctx, data, ref: str(data.ref)?.trim() ?? "", activity, viewer };
    const handler = this.handlers[verb];
    if (!handler)
      return answerCard(
        `QOps does not know the button "${verb.slice(0, 40)}". Nothing was changed.`,
        "Attention",
      );
    try {
      return await handler(press);
    } catch (error) {
      if (!isQopsError(error))
        this.deps.logger.error({ err: error, verb, ref: press.ref }, "Teams action failed");
      const message = `⚠️ ${userMessageFor(error)}`;
      return (await this.currentCard(press, message)) ?? answerCard(message, "Attention");
    }
  }

  private async currentCard(press: Press, message: string): Promise<AdaptiveCard | null> {
    const kind = press.ref ? kindOfRef(press.ref) : null;
    try {
      if (kind === "complaint" || kind === "idea" || kind === "action") {
        const record = await loadByRef<StatefulRecord>(press.ctx, kind, press.ref);
        return await this.cardFor({ kind, record } as Changed, press, message, "Attention");
      }
      if (/^POL-v\d+$/i.test(press.ref)) {
        const policy = await loadByRef<StatefulRecord>(press.ctx, "document", press.ref);
        return policyCard(policy as never, { notice: message });
      }
    } catch {
      // The record itself cannot be shown (unknown reference): the message alone says why.
    }
    return null;
  }
}

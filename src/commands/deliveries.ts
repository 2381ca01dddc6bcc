import { dashboardLinkView } from "../dashboard/command.js";
import { loadRecord, transition } from "../db/history.js";
import { findByIds } from "../db/read.js";
import type { RecordBase } from "../db/recordBase.js";
import { QopsError } from "../errors.js";
import { evidencePackView } from "../evidence/command.js";
import type { Logger } from "../logger.js";
import { contactsFor, rememberContact, reportedZones } from "../outbox/contacts.js";
import type { DeliveryCore } from "../outbox/engine.js";
import type { Delivery } from "../outbox/models.js";
import type { Posted, StoredContact } from "../outbox/port.js";
import { type CorrectiveAction, CorrectiveActionModel } from "../records/action/model.js";
import { ignoredActions } from "../records/action/reminders.js";
import { actionLine } from "../records/action/views.js";
import { type Complaint, ComplaintModel, OPEN_COMPLAINT_STATES } from "../records/complaint/model.js";
import { complaintLine } from "../records/complaint/views.js";
import type { ControlledDocument } from "../records/document/model.js";
import { type Member, MemberModel, memberKey } from "../records/member/model.js";
import { requestView } from "../records/policy/requests.js";
import { escalationList, escalationView } from "../records/policy/status.js";
import { defForRecord, defForRef } from "../records/refs.js";
import { reviewEveView } from "../records/review/reminders.js";
import { readWorkspace, rolesOf, zoneOf } from "../records/workspace/access.js";
import type { Workspace } from "../records/workspace/model.js";
import { DEFAULT_WORKING_HOURS } from "../time/workingHours.js";
import { isZone } from "../time/zone.js";
import { heading, list, message, withNotice } from "../views/build.js";
import { cmd, type Rich, rich } from "../views/rich.js";
import type { MessageView } from "../views/types.js";
import { SYSTEM, systemContext } from "./context.js";
import { weeklyDigest } from "./digest.js";

/**
 * What the delivery engine needs from the core: messages drawn when they are sent, who a
 * recipient is (zone, working hours, how to reach them), and what to record once a message went.
 */
export function deliveryCore(logger: Logger, now: () => Date): DeliveryCore {
  return {
    async render(delivery, _zone) {
      const { content } = delivery;
      if (content.viewJson) return JSON.parse(content.viewJson) as MessageView;
      if (content.view) return content.view as MessageView;
      return drawn(delivery, now(), logger);
    },
    async recipients(deliveries, { contacts }) {
      const workspaces = new Map<string, Workspace | null>();
      for (const id of new Set(deliveries.map((d) => d.workspaceId)))
        workspaces.set(id, await readWorkspace(id));
      const people = deliveries.filter((d) => d.to !== "channel");
      const [found, members] = await Promise.all([
        contacts ? contactsFor(deliveries) : deliveries.map(() => null),
        findByIds<Member>(
          MemberModel,
          people.map((d) => memberKey(d.workspaceId, d.recipientId)),
          { tz: 1 },
        ),
      ]);
      const own = new Map(people.map((d, i) => [d._id, members[i]?.tz ?? null]));
      // A zone a client reported counts only while the member's own is unknown.
      const unknown = people.filter((d) => !own.get(d._id));
      const reported = await reportedZones(unknown);
      for (const [i, d] of unknown.entries()) own.set(d._id, reported[i] ?? null);
      return deliveries.map((delivery, i) => {
        const workspace = workspaces.get(delivery.workspaceId);
        const fallback = workspace ? zoneOf(workspace) : "UTC";
        const hours = workspace?.workingHours ?? DEFAULT_WORKING_HOURS;
        const zone = own.get(delivery._id);
        if (zone && !isZone(zone))
          logger.warn(
            { delivery: delivery._id, zone },
            "a member's time zone is not a real zone; using the workspace's",
          );
        // Known only from a roster: the workspace's zone, not UTC, until their own is known.
        return { zone: zone && isZone(zone) ? zone : fallback, hours, contact: found[i] ?? null };
      });
    },
    async keepContact(workspaceId, contact: StoredContact) {
      await rememberContact(
        workspaceId,
        workspaceId.startsWith("teams:") ? "teams" : "slack",
        "member",
        contact.userId,
        contact.reference,
        now(),
      );
    },
    async sent(delivery: Delivery, posted: Posted) {
      // A record's post in the quality channel: where it landed becomes part of its history.
      if (
        delivery.op !== "post" ||
        delivery.to !== "channel" ||
        !delivery.recordKey ||
        !delivery.occasion.endsWith(":post")
      )
        return;
      const def = defForRef(delivery.recordKey.slice(delivery.recordKey.indexOf("/") + 1));
      if (!def?.postField) return;
      const field = def.postField;
      try {
        await transition<RecordBase & Record<string, unknown>>({
          kind: def.kind,
          recordKey: delivery.recordKey,
          type: "posted",
          actor: SYSTEM,
          idempotencyKey: `posted:${delivery._id}`,
          decide: () => ({ fields: { [field]: posted } }),
        });
      } catch (error) {
        if (!(error instanceof QopsError && error.code === "invalid_transition")) throw error;
      }
    },
  };
}

/** A message drawn when it is sent; null: nothing to say any more (the delivery is cancelled). */
async function drawn(delivery: Delivery, now: Date, logger: Logger): Promise<MessageView | null> {
  const dynamic = delivery.content.dynamic;
  const workspace = await readWorkspace(delivery.workspaceId);
  if (!dynamic || !workspace) return null;
  const ctx = systemContext(delivery.workspaceId, now);
  switch (dynamic.type) {
    case "card": {
      // A record's card as it is now: for a person, with the buttons they may press and the
      // line that says why it came; for a channel, the shared view.
      const key = String(dynamic.recordKey);
      const record = await loadRecord<RecordBase>(String(dynamic.kind), key);
      const def = record ? defForRecord(record) : null;
      if (!record || !def) return null;
      const viewer =
        delivery.to === "person"
          ? { userId: delivery.recipientId, roles: rolesOf(workspace, delivery.recipientId) }
          : "channel";
      const card = await def.card(ctx, record, viewer);
      // The line is also the message's text: what a notification on a phone shows.
      return Array.isArray(dynamic.line)
        ? { ...withNotice(card, dynamic.line as Rich, "good"), text: dynamic.line as Rich }
        : card;
    }
    case "policyRequest": {
      const policy = await loadRecord<ControlledDocument>(
        "document",
        `${delivery.workspaceId}/${String(dynamic.ref)}`,
      );
      // A version superseded before its request went out is not asked for any more.
      if (policy?.state !== "published") return null;
      return requestView(ctx, policy, Number(dynamic.reminder ?? 0));
    }
    case "policyEscalation": {
      const list_ = await escalationList(workspace, now);
      return list_ ? escalationView(list_) : null;
    }
    case "actionEscalation": {
      const actions = (await CorrectiveActionModel.find({
        workspaceId: delivery.workspaceId,
      }).lean()) as CorrectiveAction[];
      const ignored = ignoredActions(actions, workspace, now);
      if (!ignored.length) return null;
      const text = rich`${ignored.length} corrective action${ignored.length > 1 ? "s are" : " is"} overdue despite reminders.`;
      return message(text, [
        heading("Overdue corrective actions"),
        { type: "paragraph", text },
        list(ignored.slice(0, 50).map((a) => actionLine(a, ctx, workspace))),
      ]);
    }
    case "complaintEscalation": {
      const breached = (
        (await ComplaintModel.find({
          workspaceId: delivery.workspaceId,
          state: { $in: OPEN_COMPLAINT_STATES },
        }).lean()) as Complaint[]
      ).filter((c) => now.getTime() - c.dueAt.getTime() >= 86_400_000);
      if (!breached.length) return null;
      const text = rich`${breached.length} complaint${breached.length > 1 ? "s are" : " is"} past due. The register: ${cmd("complaint list overdue")}.`;
      return message(text, [
        heading("Complaints past due"),
        { type: "paragraph", text },
        list(breached.slice(0, 50).map((c) => complaintLine(c, ctx, workspace))),
      ]);
    }
    case "reviewEve":
      return reviewEveView(String(dynamic.recordKey), now);
    case "digest":
      return weeklyDigest(workspace, now);
    case "evidencePack":
      return evidencePackView(String(dynamic.packId), now);
    case "dashboardLink":
      return dashboardLinkView(delivery.workspaceId, delivery.recipientId, String(dynamic.name), now);
    default:
      logger.error(
        { delivery: delivery._id, type: dynamic.type },
        "a delivery names content QOps cannot draw",
      );
      return null;
  }
}

import { systemContext } from "../../commands/context.js";
import { loadRecord } from "../../db/history.js";
import type { NewDelivery } from "../../outbox/enqueue.js";
import { addDays, dayOf, startOfDay } from "../../time/zone.js";
import { heading, list, message, paragraph } from "../../views/build.js";
import { cmd, day, rich } from "../../views/rich.js";
import { holders, readWorkspace, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { MINUTES_DUE_DAYS, REVIEW_PREP_DAYS } from "./index.js";
import { reviewDay } from "./lifecycle.js";
import { type ManagementReview, ManagementReviewModel } from "./model.js";
import { packLines, reviewPack } from "./pack.js";

/** QMs 14 days before (prepare the pack), attendees the day before (the pack, drawn then), QMs when minutes are late. */
export async function reviewReminders(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const zone = zoneOf(workspace);
  const todayDay = dayOf(now, zone);
  const qms = holders(workspace, "qm");
  const reviews = (await ManagementReviewModel.find({
    workspaceId: workspace.workspaceId,
    state: "scheduled",
  }).lean()) as ManagementReview[];
  const items: NewDelivery[] = [];
  for (const r of reviews) {
    const when = reviewDay(r, workspace);
    const prep = addDays(when, -REVIEW_PREP_DAYS);
    const base = { workspaceId: workspace.workspaceId, recordKey: r._id };
    if (todayDay >= prep && todayDay < when)
      for (const qm of qms) {
        const text = rich`${r.ref} is on ${day(when)}. Check the pack (${cmd(`review ${r.ref} pack`)}) and fill in what QOps cannot know (${cmd(`review ${r.ref} input KEY text`)}).`;
        items.push({
          ...base,
          occasion: `review:${r.ref}:${when}:prepare`,
          recipientId: qm.id,
          notBefore: startOfDay(prep, zone),
          content: { view: message(text, [heading(`Prepare management review ${r.ref}`), paragraph(text)]) },
        });
      }
    const eve = addDays(when, -1);
    if (todayDay >= eve && todayDay <= when)
      for (const a of r.attendees)
        items.push({
          ...base,
          occasion: `review:${r.ref}:${when}:eve`,
          recipientId: a.id,
          notBefore: startOfDay(eve, zone),
          content: { dynamic: { type: "reviewEve", recordKey: r._id } },
        });
    const minutesDue = addDays(when, MINUTES_DUE_DAYS);
    if (todayDay >= minutesDue)
      for (const qm of qms) {
        const text = rich`The minutes of ${r.ref} (held ${day(when)}) were due ${day(minutesDue)}: ${cmd(`review ${r.ref} minutes …`)}.`;
        items.push({
          ...base,
          occasion: `review:${r.ref}:minutes-overdue-${minutesDue}`,
          recipientId: qm.id,
          notBefore: startOfDay(minutesDue, zone),
          content: { view: message(text, [heading(`Minutes of ${r.ref} overdue`), paragraph(text)]) },
        });
      }
  }
  return items;
}

/** The eve reminder, drawn when it is sent: the pack as it is then. */
export async function reviewEveView(recordKey: string, now: Date) {
  const review = await loadRecord<ManagementReview>("review", recordKey);
  if (review?.state !== "scheduled") return null;
  const workspace = await readWorkspace(review.workspaceId);
  if (!workspace) return null;
  const ctx = systemContext(review.workspaceId, now);
  const pack = await reviewPack(ctx, review);
  const when = reviewDay(review, workspace);
  const text = rich`${review.ref} is on ${day(when)}. The pack, in short:`;
  return message(text, [
    heading(`Management review ${review.ref} tomorrow`),
    paragraph(text),
    list(packLines(pack, { start: dayOf(pack.periodStart, zoneOf(workspace)), end: when }).slice(1, 8)),
  ]);
}

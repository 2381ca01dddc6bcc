import { RECORD_ACTIONS } from "../../commands/buttons.js";
import { formatWhen } from "../../commands/context.js";
import type { ControlledDocument } from "../../models/controlledDocument.js";
import { type AdaptiveCard, card, type Element, execute, heading, literal, md } from "./cards.js";

/** The policy as people read it; the acknowledgement button until they have pressed it. */
export function policyCard(
  policy: ControlledDocument,
  options: {
    acknowledgedAt?: Date | null;
    footer?: string;
    approve?: boolean;
    publish?: boolean;
    notice?: string;
  } = {},
): AdaptiveCard {
  const ref = policy.ref ?? "";
  const body: Element[] = [];
  if (options.notice) body.push(md(options.notice, { weight: "Bolder" }));
  body.push(heading(`Quality policy ${ref}`));
  if (policy.text) body.push(literal(policy.text));
  if (policy.summary) body.push(literal(policy.summary));
  if (policy.link) body.push(md(`[Read the full policy](${policy.link})`));
  body.push(
    md(
      `Published ${policy.publishedAt ? formatWhen(policy.publishedAt) : "—"} · approved by ${policy.approvedBy?.name ?? "—"}`,
      {
        isSubtle: true,
      },
    ),
  );
  const actions: Element[] = [];
  if (options.acknowledgedAt)
    body.push(md(`✅ You acknowledged ${ref} on ${formatWhen(options.acknowledgedAt)}.`));
  else if (options.acknowledgedAt === null)
    actions.push(execute(RECORD_ACTIONS.policyAcknowledge, "I have read and understood", { ref }, "primary"));
  if (options.approve)
    actions.push(execute(RECORD_ACTIONS.policyApprove, `Approve ${ref}`, { ref }, "primary"));
  if (options.publish)
    actions.push(execute(RECORD_ACTIONS.policyPublish, `Publish ${ref}`, { ref }, "primary"));
  if (options.footer) body.push(md(options.footer, { isSubtle: true }));
  return card(body, actions);
}

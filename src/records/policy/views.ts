import type { CommandContext } from "../../commands/context.js";
import { buttons, context, heading, message, paragraph } from "../../views/build.js";
import { at, link, type Rich, rich, safeUrl } from "../../views/rich.js";
import type { Block, ButtonView, MessageView } from "../../views/types.js";
import type { ControlledDocument } from "../document/model.js";
import type { Viewer } from "../kind.js";

export const POLICY_BUTTONS = {
  approve: "policy.approve",
  publish: "policy.publish",
  acknowledge: "policy.acknowledge",
} as const;

/** The policy as people read it, with the buttons this viewer may press now. */
export function policyView(
  _ctx: CommandContext,
  policy: ControlledDocument,
  viewer: Viewer,
  options: { acknowledgedAt?: Date | null; rate?: Rich } = {},
): MessageView {
  const ref = policy.ref ?? "";
  const target = { ws: policy.workspaceId, ref };
  const blocks: Block[] = [heading(`Quality policy ${ref}`)];
  if (policy.text) blocks.push(paragraph(policy.text));
  if (policy.summary) blocks.push(paragraph(policy.summary));
  const url = policy.link ? safeUrl(policy.link) : null;
  if (url) blocks.push(paragraph([link(url, "Read the full policy")]));
  blocks.push(
    context(
      policy.state === "published"
        ? rich`Published ${policy.publishedAt ? at(policy.publishedAt) : "—"} · approved by ${policy.approvedBy?.name ?? "—"}`
        : rich`${policy.state} · drafted by ${policy.owner.name}${policy.approvedBy ? ` · approved by ${policy.approvedBy.name}` : ""}`,
    ),
  );
  const roles = viewer === "channel" ? null : viewer.roles;
  const offered: ButtonView[] = [];
  if (policy.state === "published") {
    if (options.acknowledgedAt)
      blocks.push(context(rich`✅ You acknowledged ${ref} on ${at(options.acknowledgedAt)}.`));
    else if (options.acknowledgedAt === null)
      offered.push({
        id: POLICY_BUTTONS.acknowledge,
        label: "I have read and understood",
        target,
        style: "primary",
      });
  }
  if (policy.state === "draft" && (!roles || roles.includes("top_management")))
    offered.push({ id: POLICY_BUTTONS.approve, label: `Approve ${ref}`, target, style: "primary" });
  if (policy.state === "approved" && (!roles || roles.includes("qm")))
    offered.push({ id: POLICY_BUTTONS.publish, label: `Publish ${ref}`, target, style: "primary" });
  if (options.rate) blocks.push(context(options.rate));
  blocks.push(...buttons(offered));
  return message(`Quality policy ${ref}`, blocks);
}

import { describe, expect, it } from "vitest";
import { blocks, modal } from "../src/bot/slack/render.js";
import { formCard, messageCard } from "../src/bot/teams/render.js";
import { createCore } from "../src/commands/core.js";
import { createLogger } from "../src/logger.js";
import { RECORD_KINDS } from "../src/records/registry.js";
import type { FieldView, FormView, MessageView } from "../src/views/types.js";

/**
 * One product, two renderings: every form and button the core defines, drawn by each adapter,
 * must offer the same inputs and the same buttons. Derived from the registry, so a new kind or a
 * new button is compared without anyone adding it here.
 */
const core = createCore(createLogger("silent", false));
const people = [
  { id: "U1", name: "Ada Auditor" },
  { id: "U2", name: "Omar Owner" },
];
const withPeople = (f: FieldView): FieldView => (f.type === "person" ? { ...f, people } : f);

/** Every value of `key` anywhere in a JSON tree. */
function valuesOf(tree: unknown, key: string): string[] {
  const found: string[] = [];
  JSON.stringify(tree, (k, v) => {
    if (k === key && typeof v === "string") found.push(v);
    return v;
  });
  return found;
}

const forms: [string, FormView][] = RECORD_KINDS.flatMap((def) =>
  Object.entries(def.forms ?? {}).map(([id, fields]): [string, FormView] => [
    `${def.id}: ${id}`,
    { id, title: id, submit: "Submit", fields: fields.map(withPeople), target: { ws: "w", ref: "R-1" } },
  ]),
);

describe("Slack and Teams draw the same product", () => {
  it("the registry defines forms for the kinds people create (complaint, idea, nc, action, audit, policy)", () => {
    const kinds = new Set(forms.map(([name]) => name.split(":")[0]));
    for (const kind of ["complaint", "idea", "nc", "action", "audit", "policy"])
      expect(kinds).toContain(kind);
  });

  for (const [name, form] of forms)
    it(`form ${name}: the Slack modal and the Teams card ask for the same fields, and submit to the same id`, () => {
      const slack = modal(form);
      const teams = formCard(form);
      const wanted = form.fields.map((f) => f.id).sort();
      const slackInputs = (slack.blocks as { type: string; block_id?: string }[])
        .filter((b) => b.type === "input")
        .map((b) => b.block_id ?? "")
        .sort();
      const teamsInputs = (teams.body as { type: string; id?: string }[])
        .filter((e) => e.type.startsWith("Input."))
        .map((e) => e.id ?? "")
        .sort();
      expect(slackInputs).toEqual(wanted);
      expect(teamsInputs).toEqual(wanted);
      expect((slack as { callback_id?: string }).callback_id).toBe(form.id);
      expect(valuesOf(teams.actions, "verb")).toContain(form.id);
    });

  it("every button the core handles is drawn as a button by both adapters, with the same id and target", () => {
    const ids = core.actionIds().filter((id) => !RECORD_KINDS.some((d) => id in (d.forms ?? {})));
    expect(ids.length).toBeGreaterThan(20);
    // One at a time: a real card shows the few its record's state allows (Teams draws at most six).
    for (const id of ids) {
      const view: MessageView = {
        text: [id],
        blocks: [{ type: "buttons", buttons: [{ id, label: id, target: { ws: "w", ref: "R-1" } }] }],
      };
      expect(valuesOf(blocks(view), "action_id"), id).toEqual([id]);
      const teams = messageCard(view);
      expect([...new Set(valuesOf(teams, "verb"))], id).toEqual([id]);
      expect(JSON.stringify(teams), id).toContain('"ref":"R-1"');
      expect(JSON.stringify(blocks(view)), id).toContain('\\"ref\\":\\"R-1\\"');
    }
  });
});

import { describe, expect, it } from "vitest";
import { HistoryEventModel } from "../../src/db/historyModels.js";
import { WorkspaceModel } from "../../src/records/workspace/model.js";
import { waitFor } from "../helpers/poll.js";
import { allText, employee, owner, qm, qm2, setUpWorkspace, useSlackApp } from "../helpers/slackHarness.js";

const h = useSlackApp();
const workspace = () => WorkspaceModel.findById(`slack:${h.teamId}/workspace`).lean();

describe("/qms setup and roles", () => {
  it("commands and the App Home before setup say how to start", async () => {
    const cmd = h.slack.command("/complaint", "list", employee);
    expect((await cmd.send()).status).toBe(200);
    expect(allText(await h.fake.waitForResponse(cmd.responseId))).toContain("`/qms setup`");
    await h.slack.event({ type: "app_home_opened", user: employee.id, channel: "DEMP", tab: "home" });
    const home = await h.fake.waitForCall("views.publish", (c) => c.args.user_id === employee.id);
    expect(allText(home.args)).toContain("`/qms setup`");
  });

  it("the first person to run setup becomes quality manager in the same write; the next is told who did", async () => {
    await setUpWorkspace(h);
    const w = await workspace();
    expect(w).toMatchObject({ qualityChannelId: "CQUALITY", setupBy: { id: qm.id } });
    expect(w?.roles?.[qm.id]?.roles).toEqual(["qm"]);
    const created = await HistoryEventModel.findById(`slack:${h.teamId}/workspace#000001`).lean();
    expect(created?.changes.roles?.after).toEqual({ [qm.id]: { name: qm.name, roles: ["qm"] } });

    const again = h.slack.command("/qms", "setup", employee);
    await again.send();
    const reply = allText(await h.fake.waitForResponse(again.responseId));
    expect(reply).toContain(`already set up here (by ${qm.name})`);
    expect(reply).toContain("you do not hold the quality manager role");
    expect((await workspace())?.roles?.[employee.id]).toBeUndefined();
  });

  it("a QM grants a role; a retried delivery of the same command grants it once", async () => {
    const grant = h.slack.command("/qms", `roles grant <@${owner.id}|omar> auditor`, qm, {
      triggerId: "trigger-grant-1",
    });
    await grant.send();
    await grant.send({ headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } });
    expect(allText(await h.fake.waitForResponse(grant.responseId))).toContain("Granted auditor");
    await waitFor(() => h.fake.responses.filter((r) => r.id === grant.responseId).length >= 2, {
      what: "both answers",
    });
    const events = await HistoryEventModel.find({
      recordKey: `slack:${h.teamId}/workspace`,
      type: "role_granted",
    }).lean();
    expect(events).toHaveLength(1);
    expect((await workspace())?.roles?.[owner.id]?.roles).toEqual(["auditor"]);
  });

  it("an employee cannot grant roles, and is told why and whom to ask", async () => {
    const grant = h.slack.command("/qms", `roles grant <@${employee.id}|erin> qm`, employee);
    await grant.send();
    const reply = allText(await h.fake.waitForResponse(grant.responseId));
    expect(reply).toContain("Only a quality manager can change roles");
    expect(reply).toContain(qm.name);
    expect((await workspace())?.roles?.[employee.id]).toBeUndefined();
  });

  it("/qms roles lists who holds which role", async () => {
    const list = h.slack.command("/qms", "roles", employee);
    await list.send();
    const text = allText(await h.fake.waitForResponse(list.responseId));
    expect(text).toContain(`*quality manager:* <@${qm.id}>`);
    expect(text).toContain(`*auditor:* <@${owner.id}>`);
  });

  it("a QM moves the quality channel with /qms channel; an employee cannot", async () => {
    const move = h.slack.command("/qms", "channel <#CNEWQ|new-quality>", qm);
    await move.send();
    expect(allText(await h.fake.waitForResponse(move.responseId))).toContain(
      "quality channel is now <#CNEWQ>",
    );
    expect((await workspace())?.qualityChannelId).toBe("CNEWQ");
    const back = h.slack.command("/qms", "channel <#CQUALITY|quality>", qm);
    await back.send();
    await h.fake.waitForResponse(back.responseId);

    const refused = h.slack.command("/qms", "channel <#CEVIL|evil>", employee);
    await refused.send();
    expect(allText(await h.fake.waitForResponse(refused.responseId))).toContain(
      "Only a quality manager can set the quality channel",
    );
    expect((await workspace())?.qualityChannelId).toBe("CQUALITY");
  });

  it("the last quality manager cannot revoke their own role", async () => {
    const revoke = h.slack.command("/qms", `roles revoke <@${qm.id}> qm`, qm);
    await revoke.send();
    expect(allText(await h.fake.waitForResponse(revoke.responseId))).toContain("only quality manager");
    expect((await workspace())?.roles?.[qm.id]?.roles).toEqual(["qm"]);
  });

  it("two QMs revoking each other at once leave one quality manager, never none", async () => {
    const grant = h.slack.command("/qms", `roles grant <@${qm2.id}|robin> qm`, qm);
    await grant.send();
    await h.fake.waitForResponse(grant.responseId);
    const a = h.slack.command("/qms", `roles revoke <@${qm2.id}> qm`, qm);
    const b = h.slack.command("/qms", `roles revoke <@${qm.id}> qm`, qm2);
    await Promise.all([a.send(), b.send()]);
    const answers = [
      allText(await h.fake.waitForResponse(a.responseId)),
      allText(await h.fake.waitForResponse(b.responseId)),
    ];
    expect(answers.filter((t) => t.includes("Revoked quality manager"))).toHaveLength(1);
    const qms = Object.values((await workspace())?.roles ?? {}).filter((r) => r.roles.includes("qm"));
    expect(qms).toHaveLength(1);
  });

  it("a revoked first QM running setup again is told the truth and gets no role back", async () => {
    const run = async (by: typeof qm, text: string) => {
      const c = h.slack.command("/qms", text, by);
      await c.send();
      await h.fake.waitForResponse(c.responseId);
    };
    const roles = (await workspace())?.roles ?? {};
    if (roles[qm.id]?.roles.includes("qm")) {
      if (!roles[qm2.id]?.roles.includes("qm")) await run(qm, `roles grant <@${qm2.id}> qm`);
      await run(qm2, `roles revoke <@${qm.id}> qm`);
    }
    const setup = h.slack.command("/qms", "setup", qm);
    await setup.send();
    const text = allText(await h.fake.waitForResponse(setup.responseId));
    expect(text).toContain("you do not hold the quality manager role any more");
    expect(text).not.toContain("you are one of its quality managers");
    expect((await workspace())?.roles?.[qm.id]?.roles ?? []).not.toContain("qm");
  });

  it("/qms help lists every command; an unknown sub-command answers with the help", async () => {
    const help = h.slack.command("/qms", "help", employee);
    await help.send();
    const helpText = allText(await h.fake.waitForResponse(help.responseId));
    for (const cmd of [
      "`/complaint",
      "`/idea",
      "`/qms setup",
      "`/qms roles",
      "`/qms status",
      "`/qms action new",
      "`/nc",
    ])
      expect(helpText).toContain(cmd);
    const unknown = h.slack.command("/qms", "frobnicate", employee);
    await unknown.send();
    const unknownText = allText(await h.fake.waitForResponse(unknown.responseId));
    expect(unknownText).toContain('Unknown sub-command "frobnicate"');
    expect(unknownText).toContain("`/complaint list");
  });

  it("a button or command QOps did not make is acknowledged, changes nothing, and a command is told so", async () => {
    const events = await HistoryEventModel.countDocuments({});
    const press = h.slack.button("somebody.elses.button", "CMP-2026-0001", qm, {
      channel: "CQUALITY",
      ts: "1.2",
    });
    expect((await press.send()).status).toBe(200);
    const stray = await h.slack.command("/qops-legacy", "list", qm).send();
    expect(stray.status).toBe(200);
    expect(stray.body).toContain("QOps does not handle the command /qops-legacy; nothing was changed");
    // The press and the command are both answered by now: nothing was written, nobody was answered.
    expect(await HistoryEventModel.countDocuments({})).toBe(events);
    expect(h.fake.responses.some((r) => r.id === press.responseId)).toBe(false);
  });
});

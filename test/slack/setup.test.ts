import { describe, expect, it } from "vitest";
import { HistoryEventModel, MemberModel, WorkspaceModel } from "../../src/models/index.js";
import { allText, employee, owner, qm, setUpWorkspace, useSlackApp } from "../helpers/slackHarness.js";

const h = useSlackApp();

describe("/qms setup and roles", () => {
  it("commands and the App Home before setup say how to start", async () => {
    const cmd = h.slack.command("/complaint", "list", employee);
    expect((await cmd.send()).status).toBe(200);
    const reply = await h.fake.waitForResponse(cmd.responseId);
    expect(allText(reply)).toContain("/qms setup");
    await h.slack.event({ type: "app_home_opened", user: employee.id, channel: "DEMP", tab: "home" });
    const home = await h.fake.waitForCall("views.publish", (c) => c.args.user_id === employee.id);
    expect(allText(home.args)).toContain("/qms setup");
  });

  it("the first person to run setup becomes quality manager; the next is told who did", async () => {
    await setUpWorkspace(h);
    const workspace = await WorkspaceModel.findById(`slack:${h.teamId}/workspace`).lean();
    expect(workspace).toMatchObject({ qualityChannelId: "CQUALITY", setupBy: { id: qm.id } });
    const member = await MemberModel.findById(`slack:${h.teamId}/member/${qm.id}`).lean();
    expect(member?.roles).toEqual(["qm"]);

    const again = h.slack.command("/qms", "setup", employee);
    await again.send();
    const reply = await h.fake.waitForResponse(again.responseId);
    expect(allText(reply)).toContain(`already set up here: ${qm.name} set it up`);
    expect(await MemberModel.findById(`slack:${h.teamId}/member/${employee.id}`).lean()).toBeNull();
  });

  it("a QM grants a role; a retried delivery of the same command grants it once", async () => {
    const grant = h.slack.command("/qms", `roles grant <@${owner.id}|omar> auditor`, qm, {
      triggerId: "trigger-grant-1",
    });
    await grant.send();
    await grant.send({ headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } });
    const reply = await h.fake.waitForResponse(grant.responseId);
    expect(allText(reply)).toContain("Granted auditor");
    await h.fake.waitFor(
      () => h.fake.responses.filter((r) => r.id === grant.responseId).length >= 2 || undefined,
    );
    const events = await HistoryEventModel.find({
      recordKey: `slack:${h.teamId}/member/${owner.id}`,
      type: "role_granted",
    }).lean();
    expect(events).toHaveLength(1);
    expect((await MemberModel.findById(`slack:${h.teamId}/member/${owner.id}`).lean())?.roles).toEqual([
      "auditor",
    ]);
  });

  it("an employee cannot grant roles, and is told why", async () => {
    const grant = h.slack.command("/qms", `roles grant <@${employee.id}|erin> qm`, employee);
    await grant.send();
    const reply = await h.fake.waitForResponse(grant.responseId);
    expect(allText(reply)).toContain("Only a quality manager can change roles");
    expect(allText(reply)).toContain(qm.name);
    expect(
      (await MemberModel.findById(`slack:${h.teamId}/member/${employee.id}`).lean())?.roles ?? [],
    ).toEqual([]);
  });

  it("/qms roles lists who holds which role", async () => {
    const list = h.slack.command("/qms", "roles", employee);
    await list.send();
    const text = allText(await h.fake.waitForResponse(list.responseId));
    expect(text).toContain(`quality manager:* <@${qm.id}>`);
    expect(text).toContain(`auditor:* <@${owner.id}>`);
  });

  it("a QM moves the quality channel with /qms channel or the picker; an employee cannot", async () => {
    const move = h.slack.command("/qms", "channel <#CNEWQ|new-quality>", qm);
    await move.send();
    expect(allText(await h.fake.waitForResponse(move.responseId))).toContain(
      "quality channel is now <#CNEWQ>",
    );
    expect((await WorkspaceModel.findById(`slack:${h.teamId}/workspace`).lean())?.qualityChannelId).toBe(
      "CNEWQ",
    );

    const responseId = "picker-1";
    await h.slack.interaction({
      type: "block_actions",
      team: { id: h.teamId },
      user: { id: qm.id, name: qm.name, team_id: h.teamId },
      trigger_id: "trigger-picker",
      container: { type: "message", channel_id: "DQM", message_ts: "1.1", is_ephemeral: true },
      response_url: h.fake.responseUrl(responseId),
      actions: [
        {
          type: "conversations_select",
          action_id: "qms.set_channel",
          block_id: "qms-channel",
          selected_conversation: "CQUALITY",
          action_ts: "1",
        },
      ],
    });
    expect(allText(await h.fake.waitForResponse(responseId))).toContain("quality channel is now <#CQUALITY>");
    expect((await WorkspaceModel.findById(`slack:${h.teamId}/workspace`).lean())?.qualityChannelId).toBe(
      "CQUALITY",
    );

    const refused = h.slack.command("/qms", "channel <#CEVIL|evil>", employee);
    await refused.send();
    expect(allText(await h.fake.waitForResponse(refused.responseId))).toContain(
      "Only a quality manager can set the quality channel",
    );
    expect((await WorkspaceModel.findById(`slack:${h.teamId}/workspace`).lean())?.qualityChannelId).toBe(
      "CQUALITY",
    );
  });

  it("the last quality manager cannot revoke their own role", async () => {
    const revoke = h.slack.command("/qms", `roles revoke <@${qm.id}> qm`, qm);
    await revoke.send();
    expect(allText(await h.fake.waitForResponse(revoke.responseId))).toContain("only quality manager");
  });

  it("/qms help lists every command; an unknown sub-command answers with the help", async () => {
    const help = h.slack.command("/qms", "help", employee);
    await help.send();
    const helpText = allText(await h.fake.waitForResponse(help.responseId));
    for (const cmd of ["/complaint", "/idea", "/qms setup", "/qms roles", "/qms status", "/qms action new"]) {
      expect(helpText).toContain(cmd);
    }
    const unknown = h.slack.command("/qms", "frobnicate", employee);
    await unknown.send();
    const unknownText = allText(await h.fake.waitForResponse(unknown.responseId));
    expect(unknownText).toContain('Unknown sub-command "frobnicate"');
    expect(unknownText).toContain("/complaint list");
  });

  it("a button or command QOps did not make is acknowledged, changes nothing, and a command is told so", async () => {
    const events = await HistoryEventModel.countDocuments({});
    const calls = h.fake.calls.length;
    const press = h.slack.button("somebody.elses.button", "CMP-2026-0001", qm, {
      channel: "CQUALITY",
      ts: "1.2",
    });
    const response = await press.send();
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await HistoryEventModel.countDocuments({})).toBe(events);
    expect(h.fake.calls.length).toBe(calls);
    expect(h.fake.responses.some((r) => r.id === press.responseId)).toBe(false);

    const stray = await h.slack.command("/qops-legacy", "list", qm).send();
    expect(stray.status).toBe(200);
    expect(stray.body).toContain("QOps does not handle the command /qops-legacy; nothing was changed");
    expect(await HistoryEventModel.countDocuments({})).toBe(events);
  });
});

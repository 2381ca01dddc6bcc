import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { goodClaims, jwt, publishSigningKey } from "../helpers/botTokens.js";
import { ConversationReferenceModel, WorkspaceModel } from "../helpers/models.js";
import { waitFor } from "../helpers/poll.js";
import { post, teamsUser, useTeamsApp } from "../helpers/teamsHarness.js";

// Issue 12, item 2: an Azure Bot also serves Web Chat and Direct Line, whose clients write
// `from` and `channelData` themselves; only what Teams vouches for names a person and a tenant.
const APP_ID = "0f6a51b2-2222-4c3d-8e9f-112233445566";
const HOME_TENANT = "7d1c2b3a-3333-4e5f-9a0b-665544332211";
const h = useTeamsApp({
  env: {
    MICROSOFT_APP_ID: APP_ID,
    MICROSOFT_APP_PASSWORD: "not-a-real-secret",
    MICROSOFT_APP_TYPE: "SingleTenant",
    MICROSOFT_APP_TENANT_ID: HOME_TENANT,
  },
});
publishSigningKey(h);
const quinn = teamsUser("Quinn Manager");

/** "qms setup" typed in a personal chat, as Teams sends it for a tenant. */
function setup(overrides: Record<string, unknown> = {}, tenantId: string | null = HOME_TENANT) {
  return {
    type: "message",
    id: `act-${randomUUID()}`,
    channelId: "msteams",
    serviceUrl: h.connector.url,
    text: "qms setup",
    from: { id: quinn.id, name: quinn.name, aadObjectId: quinn.aadObjectId },
    recipient: { id: `28:${APP_ID}`, name: "QOps" },
    conversation: {
      id: `a:personal-${quinn.id}`,
      conversationType: "personal",
      ...(tenantId ? { tenantId } : {}),
    },
    channelData: { tenant: { id: tenantId ?? HOME_TENANT } },
    ...overrides,
  };
}

const signed = () => ({ authorization: `Bearer ${jwt(goodClaims(h, APP_ID))}` });
const workspaces = () => WorkspaceModel.countDocuments({});

describe("a SingleTenant Teams app serves Teams in its own tenant only", () => {
  it("refuses a correctly signed Web Chat message with 403 and records nothing", async () => {
    const response = await post(h, setup({ channelId: "webchat" }), signed());
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: "QOps serves Microsoft Teams only" });
    expect(await workspaces()).toBe(0);
    expect(await ConversationReferenceModel.countDocuments({})).toBe(0);
    expect(h.connector.calls).toHaveLength(0);
  });

  it("refuses a correctly signed message from another tenant with 403 and records nothing", async () => {
    const response = await post(h, setup({}, randomUUID()), signed());
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: "this QOps serves one tenant only" });
    expect(await workspaces()).toBe(0);
  });

  it("takes the tenant from conversation.tenantId, not from channelData a client could write", async () => {
    const other = randomUUID();
    const response = await post(
      h,
      { ...setup({}, other), channelData: { tenant: { id: HOME_TENANT } } },
      signed(),
    );
    expect(response.status).toBe(403);
    const unnamed = await post(h, setup({}, null), signed());
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toEqual({
      error: "a Teams activity names its tenant in conversation.tenantId",
    });
    expect(await workspaces()).toBe(0);
  });

  it("serves a correctly signed Teams message from its own tenant: the workspace is set up", async () => {
    const response = await post(h, setup(), signed());
    expect(response.status).toBe(200);
    // (Its reply needs a token from Entra ID, which this machine cannot reach: the setup shows.)
    await waitFor(() => WorkspaceModel.countDocuments({ workspaceId: `teams:${HOME_TENANT}` }), {
      what: "the workspace to be set up",
    });
  });
});

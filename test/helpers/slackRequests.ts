import { createHmac, randomBytes } from "node:crypto";

/** Builds and sends requests the way Slack does: form or JSON body, v0 HMAC signature. */
export class SlackClientSim {
  constructor(
    readonly baseUrl: string,
    readonly signingSecret: string,
    readonly teamId: string,
    readonly responseUrlFor: (id: string) => string,
  ) {}

  sign(body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
    const signature = `v0=${createHmac("sha256", this.signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
    return { "x-slack-request-timestamp": String(timestamp), "x-slack-signature": signature };
  }

  async post(
    body: string,
    contentType: string,
    options: { headers?: Record<string, string>; timestamp?: number; signature?: string } = {},
  ): Promise<{ status: number; body: string; ms: number }> {
    const signed = this.sign(body, options.timestamp);
    if (options.signature) signed["x-slack-signature"] = options.signature;
    const started = performance.now();
    const res = await fetch(`${this.baseUrl}/slack/events`, {
      method: "POST",
      headers: { "content-type": contentType, ...signed, ...options.headers },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text, ms: performance.now() - started };
  }

  /** A slash command; `responseId` names the response_url so the test can read replies. */
  command(command: string, text: string, user: SimUser, extra: Partial<Record<string, string>> = {}) {
    const responseId = extra.responseId ?? randomBytes(6).toString("hex");
    const params = new URLSearchParams({
      token: "legacy",
      team_id: this.teamId,
      team_domain: "acme",
      channel_id: extra.channelId ?? "CGENERAL",
      channel_name: "general",
      user_id: user.id,
      user_name: user.name,
      command,
      text,
      api_app_id: "A1",
      response_url: this.responseUrlFor(responseId),
      trigger_id: extra.triggerId ?? `trigger-${randomBytes(6).toString("hex")}`,
    });
    return {
      body: params.toString(),
      responseId,
      send: (opts?: Parameters<SlackClientSim["post"]>[2]) =>
        this.post(params.toString(), "application/x-www-form-urlencoded", opts),
    };
  }

  interaction(payload: Record<string, unknown>, opts?: Parameters<SlackClientSim["post"]>[2]) {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.post(body, "application/x-www-form-urlencoded", opts);
  }

  /** What QOps's buttons and forms carry: the record and its workspace. */
  target(ref?: string, extra: Record<string, string> = {}): string {
    return JSON.stringify({ ws: `slack:${this.teamId}`, ...(ref ? { ref } : {}), ...extra });
  }

  /** A button press in a channel message (or the App Home when `message` is null). */
  button(
    actionId: string,
    ref: string,
    user: SimUser,
    message: { channel: string; ts: string; ephemeral?: boolean } | null,
    responseId = randomBytes(6).toString("hex"),
    options: { value?: string } = {},
  ) {
    const value = options.value ?? this.target(ref);
    const payload = {
      type: "block_actions",
      team: { id: this.teamId, domain: "acme" },
      user: { id: user.id, username: user.name, name: user.name, team_id: this.teamId },
      api_app_id: "A1",
      trigger_id: `trigger-${randomBytes(6).toString("hex")}`,
      container: message
        ? {
            type: "message",
            channel_id: message.channel,
            message_ts: message.ts,
            is_ephemeral: Boolean(message.ephemeral),
          }
        : { type: "view", view_id: "VHOME" },
      ...(message
        ? {
            channel: { id: message.channel, name: "quality" },
            message: { ts: message.ts, text: "" },
            response_url: this.responseUrlFor(responseId),
          }
        : { view: { id: "VHOME", type: "home" } }),
      actions: [
        { type: "button", action_id: actionId, block_id: "b", value, action_ts: String(Date.now() / 1000) },
      ],
    };
    return { responseId, send: () => this.interaction(payload) };
  }

  userSelect(
    actionId: string,
    ref: string,
    selected: string,
    user: SimUser,
    message: { channel: string; ts: string },
  ) {
    const blockId = `t|${this.target(ref)}`;
    return this.interaction({
      type: "block_actions",
      team: { id: this.teamId },
      user: { id: user.id, username: user.name, name: user.name, team_id: this.teamId },
      trigger_id: `trigger-${randomBytes(6).toString("hex")}`,
      container: { type: "message", channel_id: message.channel, message_ts: message.ts },
      channel: { id: message.channel },
      message: { ts: message.ts },
      response_url: this.responseUrlFor(randomBytes(6).toString("hex")),
      actions: [
        {
          type: "users_select",
          action_id: actionId,
          block_id: blockId,
          selected_user: selected,
          action_ts: "1",
        },
      ],
    });
  }

  /** A modal submitted with `values` (field → value), as Slack's view.state would carry them. */
  submitView(
    callbackId: string,
    values: Record<
      string,
      { value?: string | null; option?: string; user?: string; users?: string[]; date?: string }
    >,
    user: SimUser,
    options: {
      viewId?: string;
      privateMetadata?: string;
      ref?: string;
      target?: Record<string, string>;
    } = {},
  ) {
    const state: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const [field, v] of Object.entries(values)) {
      const entry: Record<string, unknown> = { type: "plain_text_input", value: v.value ?? null };
      if (v.option !== undefined)
        Object.assign(entry, { type: "static_select", selected_option: { value: v.option } });
      if (v.user !== undefined) Object.assign(entry, { type: "users_select", selected_user: v.user });
      if (v.date !== undefined) Object.assign(entry, { type: "datepicker", selected_date: v.date });
      if (v.users !== undefined)
        Object.assign(entry, { type: "multi_users_select", selected_users: v.users });
      state[field] = { [field]: entry };
    }
    return this.interaction({
      type: "view_submission",
      team: { id: this.teamId, domain: "acme" },
      user: { id: user.id, username: user.name, name: user.name, team_id: this.teamId },
      api_app_id: "A1",
      trigger_id: `trigger-${randomBytes(6).toString("hex")}`,
      view: {
        id: options.viewId ?? `V${randomBytes(5).toString("hex")}`,
        type: "modal",
        callback_id: callbackId,
        private_metadata: options.privateMetadata ?? this.target(options.ref, options.target),
        state: { values: state },
        hash: "h",
      },
    });
  }

  messageShortcut(
    callbackId: string,
    user: SimUser,
    message: { channel: string; ts: string; text: string; user: string },
  ) {
    return this.interaction({
      type: "message_action",
      callback_id: callbackId,
      team: { id: this.teamId, domain: "acme" },
      user: { id: user.id, name: user.name, team_id: this.teamId },
      channel: { id: message.channel, name: "support" },
      message: { type: "message", ts: message.ts, text: message.text, user: message.user },
      trigger_id: `trigger-${randomBytes(6).toString("hex")}`,
      response_url: this.responseUrlFor(randomBytes(6).toString("hex")),
      message_ts: message.ts,
    });
  }

  event(event: Record<string, unknown>, headers: Record<string, string> = {}) {
    const body = JSON.stringify({
      token: "legacy",
      team_id: this.teamId,
      api_app_id: "A1",
      type: "event_callback",
      event_id: `Ev${randomBytes(5).toString("hex")}`,
      event_time: Math.floor(Date.now() / 1000),
      event,
    });
    return this.post(body, "application/json", { headers });
  }
}

export interface SimUser {
  id: string;
  name: string;
}

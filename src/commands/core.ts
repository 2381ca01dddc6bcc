import { loadRecord } from "../db/history.js";
import type { RecordBase } from "../db/recordBase.js";
import { newScope, type RequestScope } from "../db/scope.js";
import { isQopsError, userMessageFor } from "../errors.js";
import type { Logger } from "../logger.js";
import { type ContactKind, rememberContact, rememberZone } from "../outbox/contacts.js";
import { complaintForm } from "../records/complaint/commands.js";
import type { SourceMessage } from "../records/complaint/model.js";
import type { Action, ActionHandler, RecordKindDef } from "../records/kind.js";
import { recordKeyOf, viewerOf } from "../records/lifecycle.js";
import { defForRef } from "../records/refs.js";
import { RECORD_KINDS } from "../records/registry.js";
import { requireWorkspace } from "../records/workspace/access.js";
import { isZone } from "../time/zone.js";
import { answer } from "../views/build.js";
import { type Rich, rich } from "../views/rich.js";
import type { ActionTarget, Answer, MessageView, Token } from "../views/types.js";
import type { CommandContext } from "./context.js";
import { helpView, kindHelpView } from "./help.js";
import { homeView } from "./overview.js";
import { qmsCommand } from "./qms.js";

/**
 * The one entry into the product for both chat adapters: a typed command, a button press or a
 * form, answered with a neutral view; what to remember about where people are. Every request
 * runs in a scope that knows what it saved, so an error after a commit says what was saved.
 */
export interface Core {
  /** `name` is the command without a slash (`complaint`, `qms`); `args` the words after it. */
  command(ctx: CommandContext, name: string, args: Token[], externalId?: string): Promise<Answer>;
  /** A button (by its id) or a form (by its id) with what it targets and what was filled in. */
  act(ctx: CommandContext, id: string, press: Omit<Action, "ctx">): Promise<Answer>;
  /** The Slack App Home of a person. */
  home(ctx: CommandContext): Promise<MessageView>;
  /** The complaint form for a message (its menu's "Log as complaint"), keeping where it came from. */
  messageForm(ctx: CommandContext, message: SourceMessage & { text: string }): Promise<Answer>;
  /** How to reach someone or a conversation, as the platform handed it over, and a reported zone. */
  remember(
    workspaceId: string,
    platform: "slack" | "teams",
    kind: ContactKind,
    id: string,
    reference: Record<string, unknown>,
    now: Date,
  ): Promise<void>;
  rememberZone(workspaceId: string, userId: string, zone: string, now: Date): Promise<void>;
  /** The commands (names) and the button and form ids the core handles, for the manifests' checks. */
  commands(): string[];
  actionIds(): string[];
}

const TOP_COMMANDS = ["qms", "help"];
/** The id of a card's request for its current state. */
export const REFRESH = "card.refresh";

export function createCore(logger: Logger): Core {
  const handlers = new Map<string, { def: RecordKindDef; handler: ActionHandler }>();
  for (const def of RECORD_KINDS)
    for (const [id, handler] of Object.entries(def.actions)) {
      if (handlers.has(id)) throw new Error(`two handlers for the button or form "${id}"`);
      handlers.set(id, { def, handler });
    }

  const kindsUnderQms = (word: string) => {
    const def = RECORD_KINDS.find(
      (d) => d.command.under === "qms" && (d.command.name === word || d.command.aliases?.includes(word)),
    );
    return def ? (ctx: CommandContext) => (args: Token[]) => def.typed(ctx, args, word) : null;
  };

  /** Runs a request; an error becomes an answer that says what happened (never a stack trace). */
  async function guarded(
    ctx: CommandContext,
    what: string,
    work: () => Promise<Answer>,
    onError?: (error: unknown) => Promise<Answer | null>,
  ): Promise<Answer> {
    // The request's own record of what it saved (the context is the request's, so set on it).
    ctx.scope ??= newScope();
    try {
      return await work();
    } catch (error) {
      if (!isQopsError(error))
        logger.error({ err: error, what, workspaceId: ctx.workspaceId }, "request failed");
      else logger.debug({ code: error.code, what }, "request refused");
      const special = onError
        ? await onError(error).catch((failed: unknown) => {
            logger.error({ err: failed, what }, "could not build the answer to a failed request");
            return null;
          })
        : null;
      return special ?? ({ kind: "reply", view: errorView(error, ctx.scope) } as Answer);
    }
  }

  return {
    command(ctx, name, args, externalId = "") {
      const word = name.toLowerCase();
      return guarded(ctx, word, async () => {
        if (word === "qms") {
          const run = (w: string) => kindsUnderQms(w)?.(ctx) ?? null;
          return qmsCommand(ctx, args, externalId, run);
        }
        if (word === "help" || word === "") return { kind: "reply", view: helpView(ctx) };
        const def = RECORD_KINDS.find((d) => !d.command.under && d.command.name === word);
        if (!def)
          return {
            kind: "reply",
            view: helpView(ctx, rich`Unknown command "${word.slice(0, 30)}". Here is what QOps understands:`),
          };
        const only = args.length === 1 ? args[0] : undefined;
        if (!def.ownHelp && only && "word" in only && only.word.toLowerCase() === "help")
          return { kind: "reply", view: kindHelpView(ctx, def) };
        return def.typed(ctx, args, word);
      });
    },

    act(ctx, id, press) {
      const found = handlers.get(id);
      const action: Action = { ctx, ...press };
      return guarded(
        ctx,
        id,
        async () => {
          if (id === REFRESH && press.target.ref) {
            // A card asking for its current state (Teams' Universal Actions refresh).
            const def = defForRef(press.target.ref);
            const view = def ? await currentCard(ctx, def, press.target, action) : null;
            if (view) return { kind: "reply", view };
          }
          if (!found)
            return {
              kind: "reply",
              view: answer(
                `QOps does not know the button "${id.slice(0, 40)}". Nothing was changed.`,
                "attention",
              ),
            };
          return found.handler(action);
        },
        // A refused press redraws the record as it is now (a stale click shows who acted), with why.
        async (error) => {
          if (press.submitted || !found || !press.target.ref) return null;
          if (press.target.ws !== ctx.workspaceId) return null;
          const view = await currentCard(ctx, found.def, press.target, action);
          return view ? { kind: "update", view, note: errorView(error, ctx.scope), refused: true } : null;
        },
      );
    },

    async home(ctx) {
      try {
        return await homeView(ctx);
      } catch (error) {
        if (!isQopsError(error)) logger.error({ err: error }, "App Home failed");
        return errorView(error);
      }
    },

    messageForm(ctx, source) {
      return guarded(ctx, "message form", async () => {
        await requireWorkspace(ctx);
        const text = source.text.trim();
        const { text: _t, ...origin } = source;
        return {
          kind: "form",
          form: complaintForm(
            ctx,
            { title: (text.split("\n")[0] ?? "").slice(0, 150), description: text.slice(0, 3000) },
            origin,
          ),
        };
      });
    },

    async remember(workspaceId, platform, kind, id, reference, now) {
      await rememberContact(workspaceId, platform, kind, id, reference, now);
    },

    async rememberZone(workspaceId, userId, zone, now) {
      if (!isZone(zone)) {
        logger.warn(
          { workspaceId, zone: String(zone).slice(0, 60) },
          "a client reported a time zone that is not one; ignored",
        );
        return;
      }
      await rememberZone(workspaceId, userId, zone, now);
    },

    commands: () => [
      ...new Set([
        ...RECORD_KINDS.filter((d) => !d.command.under).map((d) => d.command.name),
        ...TOP_COMMANDS,
      ]),
    ],
    actionIds: () => [...handlers.keys()],
  };
}

async function currentCard(
  ctx: CommandContext,
  def: RecordKindDef,
  target: ActionTarget,
  action: Action,
): Promise<MessageView | null> {
  const key = recordKeyOf(defForRef(target.ref ?? "") ?? def, ctx.workspaceId, target.ref ?? "");
  if (!key) return null;
  const record = await loadRecord<RecordBase>(def.kind, key);
  if (!record) return null;
  const workspace = await requireWorkspace(ctx);
  return (defForRef(target.ref ?? "") ?? def).card(ctx, record, viewerOf(action, workspace));
}

/** An error as a view: a refusal with its instants in the reader's zone, else the plain message. */
export function errorView(error: unknown, scope?: RequestScope): MessageView {
  const text: Rich =
    isQopsError(error) && error.rich ? ["⚠️ ", ...error.rich] : [`⚠️ ${userMessageFor(error, scope)}`];
  return answer(text, "attention");
}

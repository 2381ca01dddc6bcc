import type { App } from "@slack/bolt";
import type { Logger } from "../../logger.js";
import { respondTo } from "./respond.js";

export type RegistrationKind = "commands" | "shortcuts" | "views" | "actions" | "events";

const REGISTRATIONS: Record<string, RegistrationKind> = {
  command: "commands",
  shortcut: "shortcuts",
  view: "views",
  action: "actions",
  event: "events",
};

// biome-ignore lint/suspicious/noExplicitAny: a listener's arguments depend on its kind; Bolt types them at registration.
type Listener = (args: any) => Promise<void>;

/** How a request of each routed kind names what it is for. */
const ROUTED = {
  command: (args: { command?: { command?: string } }) => args.command?.command,
  action: (args: { action?: { action_id?: string } }) => args.action?.action_id,
  view: (args: { view?: { callback_id?: string } }) => args.view?.callback_id,
} as const;
type RoutedKind = keyof typeof ROUTED;
const isRouted = (property: string): property is RoutedKind => property in ROUTED;

/** Where Bolt's `respond` would post: the request's response_url (a form's first one). */
function responseUrlOf(body: unknown): string | undefined {
  const b = body as { response_url?: unknown; response_urls?: { response_url?: unknown }[] } | undefined;
  const url = b?.response_url ?? b?.response_urls?.[0]?.response_url;
  return typeof url === "string" && url ? url : undefined;
}

/**
 * Slash commands, buttons and form submissions reach their listener through one Bolt listener
 * per kind that looks the id up in a table. Bolt otherwise runs every request through every
 * registered listener's matching middleware (QOps registers dozens of buttons), which was the
 * largest share of its time per request. A listener registered with anything other than one
 * exact id and one function is passed to Bolt unchanged. Their `respond` posts over kept-alive
 * connections (see respond.ts).
 *
 * `onRegister` is told of every id registered (the manifest test compares them to the manifest).
 */
export function routed(
  app: App,
  logger: Logger,
  onRegister?: (kind: RegistrationKind, id: string) => void,
): { listeners: App; mount(): void } {
  const tables: Record<RoutedKind, Map<string, Listener>> = {
    command: new Map(),
    action: new Map(),
    view: new Map(),
  };
  const listeners = new Proxy(app, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      const kind = typeof property === "string" ? REGISTRATIONS[property] : undefined;
      if (!kind || typeof value !== "function") return value;
      return (id: unknown, ...rest: unknown[]) => {
        onRegister?.(kind, String(id));
        const [listener] = rest;
        if (typeof property === "string" && isRouted(property) && typeof id === "string") {
          if (rest.length === 1 && typeof listener === "function") {
            if (tables[property].has(id)) throw new Error(`two listeners for the ${property} "${id}"`);
            tables[property].set(id, listener as Listener);
            return receiver;
          }
        }
        return (value as (...args: unknown[]) => unknown).call(target, id, ...rest);
      };
    },
  });

  function mount(): void {
    for (const kind of Object.keys(tables) as RoutedKind[]) {
      const table = tables[kind];
      if (table.size === 0) continue;
      const dispatch: Listener = async (args) => {
        const id = ROUTED[kind](args) ?? "";
        const listener = table.get(id);
        if (listener) {
          const responseUrl = responseUrlOf(args.body);
          return listener(responseUrl ? { ...args, respond: respondTo(responseUrl) } : args);
        }
        // A button QOps did not make (a link button, an old message) or a command added to the
        // app's configuration by hand: acknowledge, change nothing, and say so to a command.
        logger.warn({ kind, id: id.slice(0, 80) }, "Slack request for nothing QOps registered");
        const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
        await ack?.(
          kind === "command"
            ? {
                response_type: "ephemeral",
                text: `QOps does not handle the command ${id.slice(0, 40)}; nothing was changed. \`/qms help\` lists what it does.`,
              }
            : undefined,
        );
      };
      const everything = /[\s\S]*/;
      if (kind === "command") app.command(everything, dispatch);
      if (kind === "action") app.action(everything, dispatch);
      if (kind === "view") app.view(everything, dispatch);
    }
  }

  return { listeners, mount };
}

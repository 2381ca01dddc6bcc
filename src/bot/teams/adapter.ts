import {
  type Activity,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type TurnContext,
} from "botbuilder";
import type { TeamsSettings } from "../../config/index.js";

type AuthenticateRequestResult = Awaited<
  ReturnType<ConfigurationBotFrameworkAuthentication["authenticateRequest"]>
>;
type ClaimsIdentity = AuthenticateRequestResult["claimsIdentity"];
type ConnectorFactory = NonNullable<AuthenticateRequestResult["connectorFactory"]>;
type ConnectorClient = Awaited<ReturnType<ConnectorFactory["create"]>>;
type UserTokenClient = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication["createUserTokenClient"]>>;

const MAX_CLIENTS = 64;

/** The bot's app id as botbuilder reads it from a request's claims (audience, else appid). */
function botAppId(identity: ClaimsIdentity): string {
  return identity.getClaimValue("aud") ?? identity.getClaimValue("appid") ?? "";
}

/** Promises by key, built once; a failed build is forgotten so the next request tries again. */
class Reused<T> {
  private readonly entries = new Map<string, Promise<T>>();

  get(key: string, build: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key);
    if (known) return known;
    const built = build();
    built.catch(() => this.entries.delete(key));
    if (this.entries.size >= MAX_CLIENTS) this.entries.delete(this.entries.keys().next().value ?? "");
    this.entries.set(key, built);
    return built;
  }
}

/**
 * Bot Framework authentication from QOps's settings, with one change: botbuilder builds a
 * Connector client and a user-token client (each its own HTTP pipeline of policies) for every
 * request, which was most of the adapter's time and garbage per request. They are reused per
 * bot app id and service URL, as botbuilder's older BotFrameworkAdapter reused its connector
 * clients. Every request is still authenticated on its own.
 */
class ReusingAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectors = new Reused<ConnectorClient>();
  private readonly userTokens = new Reused<UserTokenClient>();

  override async authenticateRequest(
    activity: Activity,
    authHeader: string,
  ): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(activity, authHeader);
    const factory = result.connectorFactory;
    if (!factory) return result;
    const appId = botAppId(result.claimsIdentity);
    return {
      ...result,
      connectorFactory: {
        create: (serviceUrl: string, audience?: string) =>
          this.connectors.get(`${appId}|${serviceUrl}|${audience ?? ""}`, () =>
            factory.create(serviceUrl, audience),
          ),
      },
    };
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.userTokens.get(botAppId(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }
}

/** botbuilder's CloudAdapter, authenticating each request before QOps's turn logic runs. */
export class QopsCloudAdapter extends CloudAdapter {
  constructor(settings: TeamsSettings) {
    super(
      new ReusingAuthentication({
        MicrosoftAppId: settings.appId,
        MicrosoftAppPassword: settings.appPassword,
        MicrosoftAppType: settings.appType,
        MicrosoftAppTenantId: settings.tenantId,
      }),
    );
  }

  run(authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(authHeader, activity, logic);
  }
}

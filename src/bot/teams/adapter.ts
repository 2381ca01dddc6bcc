import {
  type Activity,
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  StatusCodes,
} from "botbuilder";
import { AuthenticationError } from "botframework-connector";
import type { TeamsSettings } from "../../config/index.js";

type AuthenticateRequestResult = Awaited<
  ReturnType<ConfigurationBotFrameworkAuthentication["authenticateRequest"]>
>;
type ClaimsIdentity = AuthenticateRequestResult["claimsIdentity"];
type ConnectorFactory = NonNullable<AuthenticateRequestResult["connectorFactory"]>;
type ConnectorClient = Awaited<ReturnType<ConnectorFactory["create"]>>;
type UserTokenClient = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication["createUserTokenClient"]>>;

const MAX_CLIENTS = 64;
/** How long a call to the Bot Connector may take before it counts as uncertain. */
export const CONNECTOR_TIMEOUT_MS = 15_000;

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

interface Pipeline {
  removePolicy(options: { name: string }): unknown;
  addPolicy(policy: {
    name: string;
    sendRequest: (request: { timeout: number }, next: (r: unknown) => Promise<unknown>) => Promise<unknown>;
  }): void;
}

/**
 * The connector client as QOps uses it: botbuilder's own, without its retries (a retry after a
 * 5xx or a timeout posts blindly again; the delivery engine decides instead, durably) and with a
 * deadline on every call.
 */
function tuned(client: ConnectorClient): ConnectorClient {
  const pipeline = (client as unknown as { client?: { pipeline?: Pipeline } }).client?.pipeline;
  if (pipeline) {
    pipeline.removePolicy({ name: "defaultRetryPolicy" });
    pipeline.addPolicy({
      name: "qopsDeadline",
      sendRequest: (request, next) => {
        request.timeout = CONNECTOR_TIMEOUT_MS;
        return next(request);
      },
    });
  }
  return client;
}

/**
 * Bot Framework authentication from QOps's settings. Connector and user-token clients (each its
 * own HTTP pipeline) are built once per app id and service URL instead of per request, as
 * botbuilder's older adapter did; every request is still authenticated on its own.
 */
class ReusingAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectors = new Reused<ConnectorClient>();
  private readonly userTokens = new Reused<UserTokenClient>();

  private reusing(factory: ConnectorFactory, appId: string): ConnectorFactory {
    return {
      create: (serviceUrl: string, audience?: string) =>
        this.connectors.get(`${appId}|${serviceUrl}|${audience ?? ""}`, async () =>
          tuned(await factory.create(serviceUrl, audience)),
        ),
    } as ConnectorFactory;
  }

  override async authenticateRequest(
    activity: Activity,
    authHeader: string,
  ): Promise<AuthenticateRequestResult> {
    let result: AuthenticateRequestResult;
    try {
      result = await super.authenticateRequest(activity, authHeader);
    } catch (error) {
      // A token jsonwebtoken itself refuses (not valid yet, malformed) is an authentication
      // failure like any other: 401, not the 500 botbuilder answers for an error it does not know.
      const name = (error as { name?: string }).name ?? "";
      if (
        !(error instanceof AuthenticationError) &&
        ["NotBeforeError", "TokenExpiredError", "JsonWebTokenError"].includes(name)
      )
        throw new AuthenticationError(`Unauthorized. ${(error as Error).message}`, StatusCodes.UNAUTHORIZED);
      throw error;
    }
    const factory = result.connectorFactory;
    if (!factory) return result;
    return { ...result, connectorFactory: this.reusing(factory, botAppId(result.claimsIdentity)) };
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.reusing(super.createConnectorFactory(claimsIdentity), botAppId(claimsIdentity));
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.userTokens.get(botAppId(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }
}

/**
 * The public cloud's Bot Framework endpoints (botframework-connector's AuthenticationConstants).
 * botbuilder treats a configuration that names any one of them as naming all of them, and leaves
 * the others empty (an empty token issuer refuses every token): so a changed metadata URL or
 * issuer comes with these for the rest.
 */
const PUBLIC_CLOUD = {
  ValidateAuthority: true,
  ToChannelFromBotLoginUrl: "https://login.microsoftonline.com/botframework.com",
  ToChannelFromBotOAuthScope: "https://api.botframework.com",
  ToBotFromChannelTokenIssuer: "https://api.botframework.com",
  OAuthUrl: "https://api.botframework.com",
  ToBotFromChannelOpenIdMetadataUrl: "https://login.botframework.com/v1/.well-known/openidconfiguration",
  ToBotFromEmulatorOpenIdMetadataUrl:
    "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
  CallerId: CallerIdConstants.PublicAzureChannel,
};

/** botbuilder's CloudAdapter, with QOps's settings (sovereign clouds and tests name their own metadata). */
export class QopsCloudAdapter extends CloudAdapter {
  constructor(settings: TeamsSettings) {
    const custom = Boolean(settings.openIdMetadataUrl || settings.tokenIssuer);
    const options: ConfigurationBotFrameworkAuthenticationOptions = {
      MicrosoftAppId: settings.appId,
      MicrosoftAppPassword: settings.appPassword,
      MicrosoftAppType: settings.appType,
      MicrosoftAppTenantId: settings.tenantId,
      ...(custom
        ? {
            ...PUBLIC_CLOUD,
            ...(settings.openIdMetadataUrl
              ? { ToBotFromChannelOpenIdMetadataUrl: settings.openIdMetadataUrl }
              : {}),
            ...(settings.tokenIssuer ? { ToBotFromChannelTokenIssuer: settings.tokenIssuer } : {}),
          }
        : {}),
    };
    super(new ReusingAuthentication(options));
  }
}

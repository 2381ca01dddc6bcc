import { z } from "zod";

/**
 * Every environment variable QOps reads, validated once at start.
 * README.md and .env.example list the same variables; keep the three in step.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce
    .number({ message: "must be a port number, e.g. 3000" })
    .int("must be a whole number, e.g. 3000")
    .min(0, "must be between 0 and 65535")
    .max(65535, "must be between 0 and 65535")
    .default(3000),
  HOST: optionalString,
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      message: "must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  QOPS_ROLE: z.enum(["all", "web", "worker"], { message: "must be all, web or worker" }).default("all"),
  MONGODB_URI: optionalString.pipe(
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, "must start with mongodb:// or mongodb+srv://")
      .optional(),
  ),
  QOPS_DATA_DIR: z.string().trim().min(1).default("./data"),
  QOPS_EMBEDDED_ENGINE: z
    .enum(["auto", "mongod", "ferretdb"], { message: "must be auto, mongod or ferretdb" })
    .default("auto"),
  QOPS_FERRETDB_BIN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_BOT_TOKEN: optionalString.pipe(
    z.string().startsWith("xoxb-", "must be a bot token starting with xoxb-").optional(),
  ),
  SLACK_APP_TOKEN: optionalString.pipe(
    z.string().startsWith("xapp-", "must be an app-level token starting with xapp-").optional(),
  ),
  SLACK_API_URL: optionalString.pipe(
    z.url({ message: "must be a URL, e.g. https://slack.com/api/" }).optional(),
  ),
  MICROSOFT_APP_ID: optionalString,
  MICROSOFT_APP_PASSWORD: optionalString,
  MICROSOFT_APP_TENANT_ID: optionalString,
  MICROSOFT_APP_TYPE: z
    .enum(["MultiTenant", "SingleTenant", "UserAssignedMSI"], {
      message: "must be MultiTenant, SingleTenant or UserAssignedMSI",
    })
    .default("MultiTenant"),
  MICROSOFT_OPENID_METADATA_URL: optionalString.pipe(
    z
      .url({
        message: "must be a URL, e.g. https://login.botframework.com/v1/.well-known/openidconfiguration",
      })
      .optional(),
  ),
  MICROSOFT_TOKEN_ISSUER: optionalString,
  QOPS_PUBLIC_URL: optionalString.pipe(
    z.url({ message: "must be the URL people reach QOps at, e.g. https://qops.example.com" }).optional(),
  ),
  QOPS_EVIDENCE_LINK_HOURS: z.coerce
    .number({ message: "must be a number of hours, e.g. 24" })
    .min(0.01, "must be more than 0 hours")
    .max(720, "must be at most 720 hours (30 days)")
    .default(24),
  QOPS_LOCAL_MODE: z
    .enum(["auto", "true", "false"], { message: "must be auto, true or false" })
    .default("auto"),
});

export type Env = z.infer<typeof envSchema>;

export interface SlackSettings {
  signingSecret: string;
  botToken: string;
  appToken: string | undefined;
  apiUrl: string;
}

export interface TeamsSettings {
  /** Empty only in local mode, where requests are not authenticated. */
  appId: string;
  appPassword: string | undefined;
  tenantId: string | undefined;
  appType: Env["MICROSOFT_APP_TYPE"];
  /** Where the Bot Framework's signing keys are published (sovereign clouds, tests); default: the public cloud. */
  openIdMetadataUrl: string | undefined;
  /** The issuer its tokens carry; default: https://api.botframework.com. */
  tokenIssuer: string | undefined;
  /** Served on every channel (the Emulator, Web Chat): local mode only; otherwise Teams alone. */
  anyChannel: boolean;
}

/** Teams in local mode: no app id, so nothing is authenticated, and every channel is served. */
export const LOCAL_TEAMS: TeamsSettings = {
  appId: "",
  appPassword: undefined,
  tenantId: undefined,
  appType: "MultiTenant",
  openIdMetadataUrl: undefined,
  tokenIssuer: undefined,
  anyChannel: true,
};

export interface Config {
  env: Env["NODE_ENV"];
  port: number;
  host: string;
  logLevel: Env["LOG_LEVEL"];
  role: Env["QOPS_ROLE"];
  mongodbUri: string | undefined;
  dataDir: string;
  embeddedEngine: Env["QOPS_EMBEDDED_ENGINE"];
  ferretdbBin: string | undefined;
  slack: SlackSettings | undefined;
  teams: TeamsSettings | undefined;
  /**
   * No chat credentials: Teams (Bot Framework Emulator) without authentication, on 127.0.0.1
   * only, never with NODE_ENV=production.
   */
  localMode: boolean;
  /** Where people reach QOps's own web server (download links); unset: http://localhost:PORT. */
  publicUrl: string | undefined;
  /** How long an evidence pack's download link holds. */
  evidenceLinkHours: number;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join(".");
      problems.push(`${name}: ${issue.message} (got ${JSON.stringify(source[name] ?? "")})`);
    }
  }
  const env = parsed.success ? parsed.data : undefined;

  // A platform is enabled by its variables; a half-configured one is an error, not silence.
  const slackVars = ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"] as const;
  const slackSet = slackVars.filter((n) => (source[n] ?? "").trim() !== "");
  if (slackSet.length === 1) {
    const missing = slackVars.find((n) => !slackSet.includes(n));
    problems.push(
      `${missing}: required when ${slackSet[0]} is set (Slack needs both the signing secret and the bot token)`,
    );
  }
  if ((source.SLACK_APP_TOKEN ?? "").trim() !== "" && slackSet.length === 0) {
    problems.push(
      "SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN is set (Socket Mode still needs the bot token and signing secret)",
    );
  }

  if (env) problems.push(...teamsProblems(env));

  if (problems.length > 0 || !env) throw new ConfigError(problems);

  const slack =
    env.SLACK_SIGNING_SECRET && env.SLACK_BOT_TOKEN
      ? {
          signingSecret: env.SLACK_SIGNING_SECRET,
          botToken: env.SLACK_BOT_TOKEN,
          appToken: env.SLACK_APP_TOKEN,
          apiUrl: withTrailingSlash(env.SLACK_API_URL ?? "https://slack.com/api/"),
        }
      : undefined;

  const localMode = isLocalMode(env);
  const teams: TeamsSettings | undefined = env.MICROSOFT_APP_ID
    ? {
        appId: env.MICROSOFT_APP_ID,
        appPassword: env.MICROSOFT_APP_PASSWORD,
        tenantId: env.MICROSOFT_APP_TENANT_ID,
        appType: env.MICROSOFT_APP_TYPE,
        openIdMetadataUrl: env.MICROSOFT_OPENID_METADATA_URL,
        tokenIssuer: env.MICROSOFT_TOKEN_ISSUER,
        anyChannel: false,
      }
    : localMode
      ? { ...LOCAL_TEAMS }
      : undefined;

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    // In local mode, or with no chat platform, QOps is a local tool: not reachable from elsewhere.
    host: env.HOST ?? (localMode || (!slack && !teams) ? "127.0.0.1" : "0.0.0.0"),
    logLevel: env.LOG_LEVEL,
    role: env.QOPS_ROLE,
    mongodbUri: env.MONGODB_URI,
    dataDir: env.QOPS_DATA_DIR,
    embeddedEngine: env.QOPS_EMBEDDED_ENGINE,
    ferretdbBin: env.QOPS_FERRETDB_BIN,
    slack,
    teams,
    localMode,
    publicUrl: env.QOPS_PUBLIC_URL,
    evidenceLinkHours: env.QOPS_EVIDENCE_LINK_HOURS,
  };
}

/** Local mode: asked for, or (auto) when no chat platform has credentials. */
function isLocalMode(env: Env): boolean {
  if (env.QOPS_LOCAL_MODE !== "auto") return env.QOPS_LOCAL_MODE === "true";
  const slack = Boolean(env.SLACK_SIGNING_SECRET || env.SLACK_BOT_TOKEN);
  return !slack && !env.MICROSOFT_APP_ID && env.NODE_ENV !== "production";
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Teams without an app id accepts any request: only in local mode, and never in production. */
function teamsProblems(env: Env): string[] {
  const problems: string[] = [];
  const local = isLocalMode(env);
  if (!env.MICROSOFT_APP_ID) {
    for (const name of ["MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"] as const) {
      if (env[name]) problems.push(`MICROSOFT_APP_ID: required when ${name} is set`);
    }
  } else {
    if (local)
      problems.push(
        "QOPS_LOCAL_MODE: local mode runs Teams without authentication, so it cannot be combined with MICROSOFT_APP_ID; unset one of them",
      );
    if (env.MICROSOFT_APP_TYPE !== "UserAssignedMSI" && !env.MICROSOFT_APP_PASSWORD)
      problems.push(`MICROSOFT_APP_PASSWORD: required for MICROSOFT_APP_TYPE=${env.MICROSOFT_APP_TYPE}`);
    if (env.MICROSOFT_APP_TYPE !== "MultiTenant" && !env.MICROSOFT_APP_TENANT_ID)
      problems.push(`MICROSOFT_APP_TENANT_ID: required for MICROSOFT_APP_TYPE=${env.MICROSOFT_APP_TYPE}`);
  }
  const slack = Boolean(env.SLACK_SIGNING_SECRET || env.SLACK_BOT_TOKEN);
  if (env.NODE_ENV === "production") {
    if (env.QOPS_LOCAL_MODE === "true")
      problems.push(
        "QOPS_LOCAL_MODE: local mode accepts unauthenticated Teams requests and is refused when NODE_ENV=production",
      );
    else if (!slack && !env.MICROSOFT_APP_ID)
      problems.push(
        "NODE_ENV=production needs chat credentials: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (Teams) or SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (Slack); local mode without credentials is refused in production",
      );
  }
  if (local && env.HOST && !LOOPBACK.has(env.HOST))
    problems.push(
      `HOST: local mode accepts unauthenticated Teams requests, so it listens on 127.0.0.1 only (got ${JSON.stringify(env.HOST)}); configure MICROSOFT_APP_ID to listen elsewhere`,
    );
  return problems;
}

function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

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
});

export type Env = z.infer<typeof envSchema>;

export interface SlackSettings {
  signingSecret: string;
  botToken: string;
  appToken: string | undefined;
  apiUrl: string;
}

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

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    // With no chat platform configured QOps is a local tool: do not listen beyond this machine.
    host: env.HOST ?? (slack ? "0.0.0.0" : "127.0.0.1"),
    logLevel: env.LOG_LEVEL,
    role: env.QOPS_ROLE,
    mongodbUri: env.MONGODB_URI,
    dataDir: env.QOPS_DATA_DIR,
    embeddedEngine: env.QOPS_EMBEDDED_ENGINE,
    ferretdbBin: env.QOPS_FERRETDB_BIN,
    slack,
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

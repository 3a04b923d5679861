import { readFile } from "node:fs/promises";
import { issueTaskToken } from "@flowstate/api-server";
import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import { type Command, Option } from "commander";
import { formatDuration, parseDuration } from "../duration.js";
import { type CliIo, writeJson, writeLine } from "../io.js";
import { withSession } from "../session.js";
import { addTaskInstanceOptions, findTaskInstance, type TaskInstanceOptions } from "../task-instance.js";

/** The token lifetime when `--ttl` is not given: an hour, as `issueTaskToken`'s. */
const DEFAULT_TTL_MS = 3_600_000;

interface IssueOptions extends TaskInstanceOptions {
  ttl: number;
  asset?: string[];
  json?: boolean;
}

/** Registers `flowstate token issue`: a task token signed with the configured key. */
export function registerTokenCommand(program: Command, io: CliIo): void {
  const token = program.command("token").description("Task tokens for the state API server.");
  addTaskInstanceOptions(token.command("issue"))
    .description(
      "Print a token for one task instance, signed with [api_auth] jwt_secret or jwt_private_key_path (for tests and local runs).",
    )
    .addOption(
      new Option("--ttl <duration>", "how long the token is valid, e.g. 1h, 30m, 1d")
        .argParser(parseDuration)
        .default(DEFAULT_TTL_MS, formatDuration(DEFAULT_TTL_MS)),
    )
    .option("--asset <name...>", "assets (by name) whose state the token grants")
    .option("--json", "print JSON: { token, expiresAt }")
    .action(async (options: IssueOptions, command: Command) => {
      await withSession(command, io, async ({ conf, store }) => {
        const signing = await signingKey(conf);
        const ti = await findTaskInstance(store, options, command);
        const token = await issueTaskToken({
          ...signing,
          tiId: ti.id,
          inlets: (options.asset ?? []).map((name) => ({ name })),
          ttlSeconds: options.ttl / 1000,
        });
        if (options.json) writeJson(io, { token, expiresAt: expiryOf(token) });
        else writeLine(io.stdout, token);
      });
    });
}

/** The configured signing key: the Ed25519 private key file, else the HS256 secret. */
async function signingKey(conf: ConfigReader): Promise<{ secret: string } | { privateKey: string }> {
  const path = conf.get("api_auth", "jwt_private_key_path", { fallback: "" }).trim();
  if (path) return { privateKey: await readKey(path) };
  const secret = conf.get("api_auth", "jwt_secret", { fallback: "" });
  if (secret) return { secret };
  throw new ConfigError(
    "Neither [api_auth] jwt_secret nor [api_auth] jwt_private_key_path is set, so no task token can be signed. Set the one the state API server uses (e.g. AIRFLOW__API_AUTH__JWT_SECRET=<the output of `openssl rand -hex 32`>).",
    { section: "api_auth", key: "jwt_secret" },
  );
}

async function readKey(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `[api_auth] jwt_private_key_path names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}). Point it at the PEM file of an Ed25519 private key.`,
      { section: "api_auth", key: "jwt_private_key_path" },
    );
  }
}

/** The token's `exp` as an ISO time (the payload is base64url JSON; the signature is not needed to read it). */
function expiryOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
    exp: number;
  };
  return new Date(payload.exp * 1000).toISOString();
}

// `switchboard apikey`: API keys from the command line, with or without a running server.
// With DATABASE_URL it talks to that server. In embedded mode the database belongs to one process:
// if the server is running, the CLI reaches the database through the server's loopback port;
// otherwise it opens DATA_DIR itself (and migrates it if needed).
import { createApiKey, createOperatorKey } from "../apikeys/service.ts";
import { isKnownScope, isOperatorScope } from "../auth/scopes.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { createPrismaClient, type PrismaClient } from "../db/client.ts";
import { readEmbeddedLock, startEmbeddedPostgres } from "../db/embedded.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { createLogger } from "../logger.ts";
import { CliError, parseCommandArgs } from "./args.ts";

export const APIKEY_USAGE = `Usage:
  switchboard apikey create --org <name> [--create-org] [--scopes <scope,...>] [--name <name>] [--test] [--expires <ISO date>]
  switchboard apikey list --org <name>
  switchboard apikey create --operator --name <name> [--expires <ISO date>]
  switchboard apikey list --operators
  switchboard apikey revoke --id <key id>

  --org <name>     the organization, by its exact name; it must exist unless --create-org is given
  --create-org     create the organization when no organization has that name
  --scopes         comma-separated: numbers:read numbers:write agents:read agents:write messages:read
                   messages:send verification:read verification:write billing:read billing:admin
                   keys:admin audit:read, or * (default)
  --test           a TEST key (sandbox carrier) instead of a LIVE one
  --id <key id>    the key's id as the API returns it (ApiKey.id), the id \`list\` prints, or the key's
                   prefix (the start of the secret, e.g. sb_live_AbCd1234)

Operator keys (--operator) belong to no organization and hold verification:review: they review
the 10DLC verifications of every organization, and read nothing else.
With DATABASE_URL the keys are in that PostgreSQL server; otherwise in the embedded database in
DATA_DIR (default ./data), reached through the running server when there is one.`;

const say = (message: string) => process.stderr.write(`${message}\n`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The database id inside the API's global id (base64 of "ApiKey:<uuid>"), or undefined if `id` is not one. */
function apiKeyIdFromGlobalId(id: string): string | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(id)) return undefined;
  const decoded = Buffer.from(id, "base64").toString("utf8");
  const match = /^ApiKey:(.+)$/.exec(decoded);
  return match && UUID.test(match[1]!) ? match[1] : undefined;
}

/** Finds a key by the API's global id, the raw database id or the prefix. */
async function findKey(prisma: PrismaClient, id: string) {
  const rawId = UUID.test(id) ? id : apiKeyIdFromGlobalId(id);
  if (rawId) return prisma.apiKey.findUnique({ where: { id: rawId } });
  // Keys are stored with the prefix part of the secret; `list` prints it followed by "…". Two keys
  // may share a prefix: then none is revoked and the ids are named, so the wrong key is never revoked.
  const matches = await prisma.apiKey.findMany({ where: { prefix: id.replace(/…$/, "") }, take: 10 });
  if (matches.length > 1) throw new CliError(`Prefix ${id} matches ${matches.length} keys (${matches.map((key) => key.id).join(", ")}): give one of their ids`);
  return matches[0] ?? null;
}

export async function apikey(args: string[]): Promise<void> {
  const { positionals, values } = parseCommandArgs(
    "apikey",
    args,
    {
      org: { type: "string" },
      "create-org": { type: "boolean", default: false },
      scopes: { type: "string" },
      name: { type: "string" },
      operator: { type: "boolean", default: false },
      operators: { type: "boolean", default: false },
      test: { type: "boolean", default: false },
      expires: { type: "string" },
      id: { type: "string" },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(`${APIKEY_USAGE}\n`);
    return;
  }
  const command = positionals[0];
  if (!command) throw new CliError(`switchboard apikey: a command is needed: create, list or revoke (see switchboard apikey --help)`);
  if (!["create", "list", "revoke"].includes(command) || positionals.length > 1) {
    throw new CliError(`switchboard apikey: unknown command "${positionals.join(" ")}": create, list or revoke (see switchboard apikey --help)`);
  }
  if (values.operator && command !== "create") throw new CliError(`--operator goes with create (list operator keys with list --operators)`);
  if (values.operators && command !== "list") throw new CliError(`--operators goes with list`);
  if (values.operator) {
    if (values.org || values.scopes || values.test || values["create-org"]) {
      throw new CliError(`An operator key belongs to no organization: no --org, --create-org, --scopes or --test`);
    }
    if (!values.name?.trim()) throw new CliError(`--name is required for an operator key (who or what reviews with it)`);
  }
  if (values.operators && values.org) throw new CliError(`list takes --org or --operators, not both`);
  if (values["create-org"] && command !== "create") throw new CliError(`--create-org goes with create`);
  if (command === "create" && !values.operator && !values.org) throw new CliError(`--org is required (or --operator for a platform operator key)`);
  if (command === "list" && !values.operators && !values.org) throw new CliError(`--org (or --operators) is required`);
  if (command === "revoke" && !values.id) throw new CliError(`--id is required: the key's id (ApiKey.id or the id \`list\` prints) or its prefix`);
  const expiresAt = values.expires ? new Date(values.expires) : null;
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt <= new Date())) throw new CliError("--expires must be a future ISO date");
  const scopes = (values.scopes ?? "*").split(/[\s,]+/).filter(Boolean);
  const unknown = scopes.filter((scope) => !isKnownScope(scope));
  if (unknown.length) throw new CliError(`Unknown scope(s): ${unknown.join(", ")} (see switchboard apikey --help)`);
  const operatorOnly = scopes.filter(isOperatorScope);
  if (operatorOnly.length) {
    throw new CliError(`${operatorOnly.join(", ")} belongs to operator keys, never to an organization's: use create --operator --name <name>`);
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const logger = createLogger("warn");

  let url: string;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (config.databaseUrl) {
    url = config.databaseUrl;
    say(`Using the PostgreSQL server of DATABASE_URL.`);
  } else {
    const lock = await readEmbeddedLock(config.dataDir);
    if (lock) {
      url = lock.url;
      say(`The server is running (pid ${lock.pid}): using its embedded database in ${config.dataDir} through it.`);
    } else {
      const embedded = await startEmbeddedPostgres(config.dataDir);
      url = embedded.url;
      stopEmbedded = () => embedded.stop();
      say(`The server is not running: opened the embedded database in ${config.dataDir} directly.`);
    }
  }
  try {
    await migrateDatabase(url, logger);
    const prisma = createPrismaClient(url, 1);
    try {
      if (command === "create" && values.operator) {
        const { apiKey, secret } = await createOperatorKey(prisma, { name: values.name!.trim(), expiresAt });
        say(`Created operator key ${apiKey.id} ("${apiKey.name}") with scopes ${apiKey.scopes.join(" ")}. The secret is shown only once:`);
        process.stdout.write(`${secret}\n`);
      } else if (command === "create") {
        let organization = await prisma.organization.findUnique({ where: { name: values.org! } });
        if (!organization) {
          if (!values["create-org"]) {
            const known = await prisma.organization.findMany({ select: { name: true }, orderBy: { name: "asc" }, take: 10 });
            const names = known.length ? `existing: ${known.map((o) => `"${o.name}"`).join(", ")}${known.length === 10 ? ", …" : ""}` : "there is none yet";
            throw new CliError(`No organization named "${values.org}" (looked up by exact name; ${names}). Add --create-org to create it.`);
          }
          organization = await prisma.organization.create({ data: { name: values.org! } });
          say(`Created organization "${organization.name}" (${organization.id}).`);
        }
        const { apiKey, secret } = await createApiKey(prisma, organization.id, {
          name: values.name ?? "created with the apikey CLI",
          scopes,
          mode: values.test ? "TEST" : "LIVE",
          expiresAt,
        });
        say(`Created ${apiKey.mode} key ${apiKey.id} for "${organization.name}" with scopes ${scopes.join(" ")}. The secret is shown only once:`);
        process.stdout.write(`${secret}\n`);
      } else if (command === "list") {
        let keys;
        if (values.operators) {
          keys = await prisma.apiKey.findMany({ where: { operator: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
        } else {
          const organization = await prisma.organization.findUnique({
            where: { name: values.org! },
            include: { apiKeys: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
          });
          if (!organization) throw new CliError(`No organization named "${values.org}"`);
          keys = organization.apiKeys;
        }
        for (const key of keys) {
          const state = key.revokedAt ? "revoked" : key.expiresAt && key.expiresAt <= new Date() ? "expired" : "active";
          process.stdout.write(
            `${key.id}  ${key.prefix}…  ${key.operator ? "OPERATOR" : key.mode}  ${state}  ${key.scopes.join(" ")}  last used ${key.lastUsedAt?.toISOString() ?? "never"}  ${key.name}\n`,
          );
        }
      } else {
        const key = await findKey(prisma, values.id!);
        if (!key) throw new CliError(`No API key ${values.id} (give ApiKey.id as the API returns it, the id \`list\` prints, or the key's prefix)`);
        await prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: key.revokedAt ?? new Date() } });
        say(`Revoked key ${key.id} (${key.prefix}…). Running servers refuse it within API_KEY_CACHE_SECONDS.`);
      }
    } finally {
      await prisma.$disconnect();
    }
  } finally {
    await stopEmbedded?.();
  }
}

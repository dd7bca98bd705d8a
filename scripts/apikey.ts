// API keys from the command line, with or without a running server:
//   npm run apikey -- create --org <name> [--scopes numbers:read,numbers:write] [--name <n>] [--test] [--expires <ISO date>]
//   npm run apikey -- list --org <name>
//   npm run apikey -- create --operator --name <name> [--expires <ISO date>]
//   npm run apikey -- list --operators
//   npm run apikey -- revoke --id <key uuid or prefix>
// With DATABASE_URL it talks to that server. In embedded mode the database belongs to one process:
// if the server is running, the CLI reaches the database through the server's loopback port;
// otherwise it opens DATA_DIR itself (and migrates it if needed).
import { parseArgs } from "node:util";
import { createApiKey, createOperatorKey } from "../src/apikeys/service.ts";
import { isKnownScope, isOperatorScope } from "../src/auth/scopes.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { createPrismaClient } from "../src/db/client.ts";
import { readEmbeddedLock, startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrateDatabase } from "../src/db/migrate.ts";
import { createLogger } from "../src/logger.ts";

const USAGE = `Usage:
  npm run apikey -- create --org <name> [--scopes <scope,...>] [--name <name>] [--test] [--expires <ISO date>]
  npm run apikey -- list --org <name>
  npm run apikey -- create --operator --name <name> [--expires <ISO date>]
  npm run apikey -- list --operators
  npm run apikey -- revoke --id <key id or prefix>
Scopes: numbers:read numbers:write agents:read agents:write messages:read messages:send
        verification:read verification:write billing:read billing:admin keys:admin
        audit:read, or * (default)
Operator keys (--operator) belong to no organization and hold verification:review: they review
the 10DLC verifications of every organization, and read nothing else.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const say = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      org: { type: "string" },
      scopes: { type: "string" },
      name: { type: "string" },
      operator: { type: "boolean", default: false },
      operators: { type: "boolean", default: false },
      test: { type: "boolean", default: false },
      expires: { type: "string" },
      id: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (values.help || !command || !["create", "list", "revoke"].includes(command)) fail(USAGE);
  if (values.operator && command !== "create") fail(`--operator goes with create (list operator keys with list --operators)\n\n${USAGE}`);
  if (values.operators && command !== "list") fail(`--operators goes with list\n\n${USAGE}`);
  if (values.operator) {
    if (values.org || values.scopes || values.test) fail(`An operator key belongs to no organization: no --org, --scopes or --test\n\n${USAGE}`);
    if (!values.name?.trim()) fail(`--name is required for an operator key (who or what reviews with it)\n\n${USAGE}`);
  }
  if (values.operators && values.org) fail(`list takes --org or --operators, not both\n\n${USAGE}`);
  const expiresAt = values.expires ? new Date(values.expires) : null;
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt <= new Date())) fail("--expires must be a future ISO date");

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
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
  await migrateDatabase(url, logger);
  const prisma = createPrismaClient(url, 1);
  try {
    if (command === "create" && values.operator) {
      const { apiKey, secret } = await createOperatorKey(prisma, { name: values.name!.trim(), expiresAt });
      say(`Created operator key ${apiKey.id} ("${apiKey.name}") with scopes ${apiKey.scopes.join(" ")}. The secret is shown only once:`);
      process.stdout.write(`${secret}\n`);
    } else if (command === "create") {
      if (!values.org) fail(`--org is required (or --operator for a platform operator key)\n\n${USAGE}`);
      const scopes = (values.scopes ?? "*").split(/[\s,]+/).filter(Boolean);
      const unknown = scopes.filter((scope) => !isKnownScope(scope));
      if (unknown.length) fail(`Unknown scope(s): ${unknown.join(", ")}\n\n${USAGE}`);
      const operatorOnly = scopes.filter(isOperatorScope);
      if (operatorOnly.length) fail(`${operatorOnly.join(", ")} belongs to operator keys, never to an organization's: use create --operator --name <name>`);
      let organization = await prisma.organization.findUnique({ where: { name: values.org } });
      if (!organization) {
        organization = await prisma.organization.create({ data: { name: values.org } });
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
        if (!values.org) fail(`--org (or --operators) is required\n\n${USAGE}`);
        const organization = await prisma.organization.findUnique({
          where: { name: values.org },
          include: { apiKeys: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
        });
        if (!organization) fail(`No organization named "${values.org}"`);
        keys = organization.apiKeys;
      }
      for (const key of keys) {
        const state = key.revokedAt ? "revoked" : key.expiresAt && key.expiresAt <= new Date() ? "expired" : "active";
        process.stdout.write(
          `${key.id}  ${key.prefix}…  ${key.operator ? "OPERATOR" : key.mode}  ${state}  ${key.scopes.join(" ")}  last used ${key.lastUsedAt?.toISOString() ?? "never"}  ${key.name}\n`,
        );
      }
    } else {
      if (!values.id) fail(`--id is required\n\n${USAGE}`);
      const key = /^[0-9a-f-]{36}$/i.test(values.id)
        ? await prisma.apiKey.findUnique({ where: { id: values.id } })
        : await prisma.apiKey.findFirst({ where: { prefix: values.id } });
      if (!key) fail(`No API key ${values.id}`);
      await prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: key.revokedAt ?? new Date() } });
      say(`Revoked key ${key.id} (${key.prefix}…). Running servers refuse it within API_KEY_CACHE_SECONDS.`);
    }
  } finally {
    await prisma.$disconnect();
    await stopEmbedded?.();
  }
}

main().catch((error) => {
  process.stderr.write(`apikey failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

// `switchboard migrate`: applies pending migrations and exits, for deployments that migrate before
// starting servers. With no DATABASE_URL it migrates the embedded database in DATA_DIR (through the
// running server when there is one).
import { ConfigError, loadConfig } from "../config.ts";
import { readEmbeddedLock, startEmbeddedPostgres } from "../db/embedded.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { createLogger } from "../logger.ts";
import { CliError, parseCommandArgs } from "./args.ts";

export const MIGRATE_USAGE = `Usage: switchboard migrate

Applies the pending database migrations and exits. With DATABASE_URL it migrates that PostgreSQL
server; without it the embedded database in DATA_DIR (default ./data). \`switchboard serve\` also
migrates on start; this command is for deployments that migrate before starting servers.`;

export async function migrate(args: string[]): Promise<void> {
  const { values } = parseCommandArgs("migrate", args, {});
  if (values.help) {
    process.stdout.write(`${MIGRATE_USAGE}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let applied: string[];
  if (config.databaseUrl) {
    ({ applied } = await migrateDatabase(config.databaseUrl, logger));
  } else {
    const lock = await readEmbeddedLock(config.dataDir);
    const embedded = lock ? undefined : await startEmbeddedPostgres(config.dataDir);
    try {
      ({ applied } = await migrateDatabase(lock?.url ?? embedded!.url, logger));
    } finally {
      await embedded?.stop();
    }
  }
  process.stdout.write(applied.length ? `Applied ${applied.join(", ")}\n` : "No pending migrations.\n");
}

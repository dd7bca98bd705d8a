// `npm run db:migrate`: applies pending migrations and exits, for deployments that migrate before
// starting servers. With no DATABASE_URL it migrates the embedded database in DATA_DIR.
import { ConfigError, loadConfig } from "../src/config.ts";
import { readEmbeddedLock, startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrateDatabase } from "../src/db/migrate.ts";
import { createLogger } from "../src/logger.ts";

try {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.databaseUrl) {
    const { applied } = await migrateDatabase(config.databaseUrl, logger);
    console.log(applied.length ? `Applied ${applied.join(", ")}` : "No pending migrations.");
  } else {
    const lock = await readEmbeddedLock(config.dataDir);
    const embedded = lock ? undefined : await startEmbeddedPostgres(config.dataDir);
    try {
      const { applied } = await migrateDatabase(lock?.url ?? embedded!.url, logger);
      console.log(applied.length ? `Applied ${applied.join(", ")}` : "No pending migrations.");
    } finally {
      await embedded?.stop();
    }
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `db:migrate failed: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { createDatabaseClients, type PrismaClient, type SqlReader } from "./client.ts";
import { migrateDatabase } from "./migrate.ts";

export interface Database {
  prisma: PrismaClient;
  /** Plain reads on Prisma's pool, for the compiled hot paths. */
  sql: SqlReader;
  mode: "embedded" | "server";
  /** True when the embedded data directory was created by this start. */
  created: boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  onQuery?: (sql: string) => void;
}

/** Opens the configured database (embedded PGlite or a PostgreSQL server) and applies pending migrations. */
export async function openDatabase(config: Config, logger: Logger, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (config.databaseUrl) {
    await migrateDatabase(config.databaseUrl, logger);
    const { prisma, sql } = createDatabaseClients(config.databaseUrl, config.databasePoolSize, options.onQuery);
    return { prisma, sql, mode: "server", created: false, close: () => prisma.$disconnect() };
  }
  const started = Date.now();
  // Loaded only here: PGlite and its Wasm cost a server on PostgreSQL about 27 MB of memory for nothing.
  const { startEmbeddedPostgres } = await import("./embedded.ts");
  const embedded = await startEmbeddedPostgres(config.dataDir);
  logger.info({ dataDir: embedded.dataDir, created: embedded.created, ms: Date.now() - started }, "embedded PostgreSQL (PGlite) started");
  try {
    await migrateDatabase(embedded.url, logger);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  // PGlite is one session: one pooled connection, so the server's transactions never interleave.
  const { prisma, sql } = createDatabaseClients(embedded.url, 1, options.onQuery);
  return {
    prisma,
    sql,
    mode: "embedded",
    created: embedded.created,
    async close() {
      await prisma.$disconnect();
      await embedded.stop();
    },
  };
}

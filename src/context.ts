import type { Logger } from "pino";
import type { Caller } from "./auth/caller.ts";
import type { PrismaClient, SqlReader } from "./db/client.ts";
import type { Services } from "./services.ts";
import type { Loaders } from "./loaders.ts";

/** What every resolver receives: built once per request (or per WebSocket operation). */
export interface Context {
  caller: Caller;
  prisma: PrismaClient;
  /** Plain reads for the compiled hot paths (src/schema/compiled-reads.ts). */
  sql: SqlReader;
  services: Services;
  /**
   * Per-request dataloaders: a fresh cache for every request, never shared between callers.
   * Subscriptions replace them before each event so no event sees another's cached rows.
   */
  loaders: Loaders;
  logger: Logger;
}

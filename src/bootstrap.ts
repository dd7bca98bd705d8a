import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { openDatabase, type Database } from "./db/index.ts";
import { loadSecretBox } from "./encryption-key.ts";
import { createEventBus } from "./events/pubsub.ts";
import { startOrderPoller } from "./jobs/order-poller.ts";
import { createApp, type App } from "./server.ts";
import { createServices, type Services } from "./services.ts";

export interface Switchboard {
  app: App;
  database: Database;
  services: Services;
  /** Closes the database (and the embedded PGlite). The HTTP server is the caller's to close. */
  close(): Promise<void>;
}

/** config -> database (migrated) -> services -> server: everything but listening. */
export async function startSwitchboard(config: Config, logger: Logger, options: { onQuery?: (sql: string) => void } = {}): Promise<Switchboard> {
  const secrets = await loadSecretBox(config, logger);
  const database = await openDatabase(config, logger, options);
  const bus = createEventBus(config.redisUrl, logger);
  const services = createServices(database.prisma, config, secrets, logger, bus);
  const app = createApp({ config, prisma: database.prisma, services, logger });
  const orderPoller = startOrderPoller(services.provisioning, config.carrier.orderPollSeconds, logger);
  return {
    app,
    database,
    services,
    async close() {
      await orderPoller.stop();
      await bus.close();
      await database.close();
    },
  };
}

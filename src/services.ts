import type { Logger } from "pino";
import { AgentService } from "./agents/service.ts";
import { ApiKeyService } from "./apikeys/service.ts";
import { Authenticator } from "./auth/authenticator.ts";
import type { Config } from "./config.ts";
import type { PrismaClient } from "./db/client.ts";
import type { SecretBox } from "./domain/secret-box.ts";
import { EventDeliveryCache } from "./events/delivery-cache.ts";
import type { EventBus } from "./events/pubsub.ts";
import { SetupStatusChanges } from "./events/setup-status-changes.ts";
import { PhoneNumberService } from "./numbers/service.ts";

/** The use cases, created once per process and shared by every request. */
export interface Services {
  authenticator: Authenticator;
  agents: AgentService;
  numbers: PhoneNumberService;
  apiKeys: ApiKeyService;
  setupStatus: SetupStatusChanges;
  bus: EventBus;
  deliveries: EventDeliveryCache;
}

export function createServices(prisma: PrismaClient, config: Config, secrets: SecretBox, logger: Logger, bus: EventBus): Services {
  const authenticator = new Authenticator(prisma, config, logger);
  const setupStatus = new SetupStatusChanges(prisma, bus, logger);
  return {
    authenticator,
    setupStatus,
    bus,
    deliveries: new EventDeliveryCache(prisma),
    agents: new AgentService(prisma, setupStatus),
    numbers: new PhoneNumberService(prisma, secrets, setupStatus),
    apiKeys: new ApiKeyService(prisma, (id) => authenticator.forgetApiKey(id)),
  };
}

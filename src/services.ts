import type { Logger } from "pino";
import { AgentService } from "./agents/service.ts";
import { ApiKeyService } from "./apikeys/service.ts";
import { Authenticator } from "./auth/authenticator.ts";
import type { Config } from "./config.ts";
import type { PrismaClient } from "./db/client.ts";
import type { SecretBox } from "./domain/secret-box.ts";
import { PhoneNumberService } from "./numbers/service.ts";

/** The use cases, created once per process and shared by every request. */
export interface Services {
  authenticator: Authenticator;
  agents: AgentService;
  numbers: PhoneNumberService;
  apiKeys: ApiKeyService;
}

export function createServices(prisma: PrismaClient, config: Config, secrets: SecretBox, logger: Logger): Services {
  const authenticator = new Authenticator(prisma, config, logger);
  return {
    authenticator,
    agents: new AgentService(prisma),
    numbers: new PhoneNumberService(prisma, secrets),
    apiKeys: new ApiKeyService(prisma, (id) => authenticator.forgetApiKey(id)),
  };
}

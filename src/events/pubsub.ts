import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub } from "graphql-yoga";
import { Redis } from "ioredis";
import type { Logger } from "pino";

/** What crosses the bus: ids only. Subscribers re-read the rows, so payloads survive Redis as JSON. */
export interface SetupStatusChangedMessage {
  eventId: string;
  phoneNumberId: string;
}

/** A verification's status changed: the recorded event and the submission it concerns. */
export interface VerificationStatusChangedMessage {
  eventId: string;
  verificationId: string;
}

/** An inbound message was stored for a live number of the organization. */
export interface MessageReceivedMessage {
  messageId: string;
  phoneNumberId: string;
}

export type Channels = {
  "setup-status": [organizationId: string, message: SetupStatusChangedMessage];
  "verification-status": [organizationId: string, message: VerificationStatusChangedMessage];
  "message-received": [organizationId: string, message: MessageReceivedMessage];
};

export interface EventBus {
  pubsub: PubSub<Channels>;
  kind: "in-process" | "redis";
  close(): Promise<void>;
}

/**
 * In-process pub/sub by default; with REDIS_URL, Redis pub/sub, so a change made on one instance
 * reaches subscribers connected to any other.
 */
export function createEventBus(redisUrl: string | undefined, logger: Logger): EventBus {
  if (!redisUrl) return { pubsub: createPubSub<Channels>(), kind: "in-process", close: async () => {} };
  const options = { maxRetriesPerRequest: null, lazyConnect: false };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const client of [publishClient, subscribeClient]) {
    client.on("error", (error) => logger.warn({ err: error.message }, "Redis connection error"));
  }
  return {
    pubsub: createPubSub<Channels>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) }),
    kind: "redis",
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}

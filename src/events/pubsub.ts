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

/** A toll-free verification's status changed: the recorded event and the submission it concerns. */
export interface TollFreeVerificationStatusChangedMessage {
  eventId: string;
  tollFreeVerificationId: string;
}

/** An inbound message was stored for a live number of the organization. */
export interface MessageReceivedMessage {
  messageId: string;
  phoneNumberId: string;
}

export type Channels = {
  "setup-status": [organizationId: string, message: SetupStatusChangedMessage];
  "verification-status": [organizationId: string, message: VerificationStatusChangedMessage];
  "toll-free-verification-status": [organizationId: string, message: TollFreeVerificationStatusChangedMessage];
  "message-received": [organizationId: string, message: MessageReceivedMessage];
};

export interface EventBus {
  pubsub: PubSub<Channels>;
  kind: "in-process" | "redis";
  /** Resolves when Redis answers a PING (readiness); in-process pub/sub has nothing to check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * In-process pub/sub by default; with REDIS_URL, Redis pub/sub, so a change made on one instance
 * reaches subscribers connected to any other.
 */
export function createEventBus(redisUrl: string | undefined, logger: Logger): EventBus {
  if (!redisUrl) return { pubsub: createPubSub<Channels>({ repeaterBuffer: new BurstBuffer() }), kind: "in-process", ping: async () => {}, close: async () => {} };
  const options = { maxRetriesPerRequest: null, lazyConnect: false };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const client of [publishClient, subscribeClient]) {
    client.on("error", (error) => logger.warn({ err: error.message }, "Redis connection error"));
  }
  return {
    pubsub: createPubSub<Channels>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }), repeaterBuffer: new BurstBuffer() }),
    kind: "redis",
    async ping() {
      // A disconnected client would queue the PING until Redis is back: not ready now.
      if (publishClient.status !== "ready") throw new Error(`Redis connection is ${publishClient.status}`);
      await publishClient.ping();
    },
    async close() {
      // QUIT waits for Redis to answer: a client that is not connected is dropped instead of waiting for ever.
      await Promise.allSettled([publishClient, subscribeClient].map((client) => (client.status === "ready" ? client.quit() : client.disconnect())));
    },
  };
}

/**
 * Each subscription's buffer inside yoga's pub/sub. Without one, more than 1,024 events dispatched
 * before the subscription reads any (a burst in one tick, or many Redis messages in one socket
 * read) throw inside the publisher's dispatch, which ends the process. Subscriptions read this
 * buffer as events arrive and bound their own backlog (src/schema/subscriptions.ts `bounded`);
 * this one only absorbs bursts, and past its capacity drops rather than throws.
 */
export class BurstBuffer<T = unknown> {
  #values: T[] = [];
  #head = 0;
  #dropped = 0;

  constructor(private readonly capacity = 100_000) {}

  get empty(): boolean {
    return this.#head === this.#values.length;
  }

  /** Never full: a full buffer would make the repeater queue pushes, and throw past 1,024. */
  get full(): boolean {
    return false;
  }

  add(value: T): void {
    if (this.#values.length - this.#head < this.capacity) this.#values.push(value);
    else this.#dropped++;
  }

  remove(): T {
    if (this.empty) throw new Error("BurstBuffer is empty");
    const value = this.#values[this.#head++]!;
    // Read values are let go in batches, so a long burst is not shifted one by one.
    if (this.#head >= 1_024 && this.#head * 2 >= this.#values.length) {
      this.#values = this.#values.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }

  /** Events dropped because a burst exceeded the capacity. */
  get dropped(): number {
    return this.#dropped;
  }
}


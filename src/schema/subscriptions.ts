import { GraphQLError } from "graphql";
import { filter, pipe } from "graphql-yoga";
import type { Context } from "../context.ts";
import type { EventDeliveryCache } from "../events/delivery-cache.ts";
import type { Channels, EventBus } from "../events/pubsub.ts";
import { BacklogQueue } from "../limits/backlog-queue.ts";
import { createLoaders } from "../loaders.ts";
import { builder } from "./builder.ts";
import { optionalIdArg } from "./id-args.ts";

builder.subscriptionType({
  description: "Live updates over WebSocket (graphql-transport-ws) or Server-Sent Events, scoped to the caller's organization.",
});

/**
 * The organization's messages on a per-number channel, narrowed to one number when the client
 * passes `phoneNumberId` (a global id; a malformed one is a BAD_USER_INPUT error).
 */
export function subscribeToNumberChannel<C extends "setup-status" | "message-received">(
  bus: EventBus,
  channel: C,
  organizationId: string,
  phoneNumberGlobalId: string | number | null | undefined,
  maxBacklog: number,
): AsyncIterable<Channels[C][1]> {
  const phoneNumberId = optionalIdArg(phoneNumberGlobalId, "PhoneNumber", "phoneNumberId");
  // The channel is one of the per-organization ones, so it takes the organization as its id.
  const messages = (bus.pubsub as unknown as { subscribe(channel: C, id: string): AsyncIterable<Channels[C][1]> }).subscribe(channel, organizationId);
  return bounded(phoneNumberId ? pipe(messages, filter((message: Channels[C][1]) => message.phoneNumberId === phoneNumberId)) : messages, maxBacklog);
}

/**
 * A subscription's events, read from the bus as they arrive and queued here up to `maxBacklog`
 * not yet delivered. Left to the bus, a subscriber slower than its events (each delivery re-reads
 * a row) queued them without bound in yoga's pub/sub, which throws past 1,024 from inside the
 * publisher's event dispatch and took the whole server down. One that falls this far behind ends
 * with SUBSCRIPTION_BACKLOG_EXCEEDED; its client resubscribes and reads the current state.
 */
export function bounded<T>(source: AsyncIterable<T>, maxBacklog: number): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue = new BacklogQueue<T>(maxBacklog, () => void iterator.return?.());
  void (async () => {
    try {
      while (!queue.closed) {
        const next = await iterator.next();
        if (next.done) return queue.finish();
        queue.push(next.value);
      }
    } catch (error) {
      queue.fail(error);
    }
  })();
  return queue;
}

/**
 * What every subscription resolver does with an event: a fresh loader cache (one kept across
 * events would serve stale rows), the shared re-read, and a clear error if the row is gone.
 */
export async function deliver<T>(context: Context, load: (cache: EventDeliveryCache) => Promise<T | undefined>): Promise<T> {
  context.loaders = createLoaders(context.prisma);
  const delivered = await load(context.services.deliveries);
  if (delivered === undefined) throw new GraphQLError("The event is no longer available");
  return delivered;
}

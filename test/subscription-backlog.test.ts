import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { describe, test } from "node:test";
import { createPubSub } from "graphql-yoga";
import pino from "pino";
import { BurstBuffer, createEventBus } from "../src/events/pubsub.ts";
import { bounded } from "../src/schema/subscriptions.ts";

// A subscriber slower than its events (found by the soak benchmark): yoga's pub/sub queued them
// without bound and threw past 1,024 from inside the publisher's dispatch, which ended the server
// process. `bounded` reads the bus as events arrive and ends only the subscriber that fell behind.

/** Reads a subscription to its end: what it delivered, and the error it ended with, if any. */
async function readAll<T>(events: AsyncIterator<T>): Promise<{ received: T[]; failure?: { extensions?: { code?: string; limit?: number } } }> {
  const received: T[] = [];
  try {
    for (let next = await events.next(); !next.done; next = await events.next()) received.push(next.value);
    return { received };
  } catch (error) {
    return { received, failure: error as { extensions?: { code?: string; limit?: number } } };
  }
}

describe("subscription backlog", () => {
  test("a subscriber that does not keep up gets what was queued, then SUBSCRIPTION_BACKLOG_EXCEEDED", async () => {
    const pubsub = createPubSub<{ news: [number] }>();
    const events = bounded(pubsub.subscribe("news"), 3);
    await tick();
    // 2,000 events while nobody reads: past yoga's own limit of 1,024 pending pushes.
    for (let i = 0; i < 2_000; i++) {
      pubsub.publish("news", i);
      if (i % 100 === 0) await tick();
    }
    await tick();
    const { received, failure } = await readAll(events);
    assert.deepEqual(received, [0, 1, 2]);
    assert.equal(failure?.extensions?.code, "SUBSCRIPTION_BACKLOG_EXCEEDED");
    assert.equal(failure?.extensions?.limit, 3);
    // The bus has no listener left for it, and publishing goes on without error.
    pubsub.publish("news", 2_001);
  });

  test("a subscriber that keeps up gets every event, in order, and leaving releases the bus", async () => {
    const pubsub = createPubSub<{ news: [number] }>();
    const events = bounded(pubsub.subscribe("news"), 3);
    await tick();
    const received: number[] = [];
    for (let i = 0; i < 50; i++) {
      pubsub.publish("news", i);
      received.push((await events.next()).value as number);
    }
    assert.deepEqual(received, Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(await events.return!(), { value: undefined, done: true });
    assert.deepEqual(await events.next(), { value: undefined, done: true });
  });

  test("a burst of 5,000 events in one tick does not overflow the bus (it threw past 1,024 inside the publisher)", async () => {
    const bus = createEventBus(undefined, pino({ level: "silent" }));
    const events = bounded(bus.pubsub.subscribe("setup-status", "org"), 3);
    await tick();
    // Synchronously: the subscription cannot read in between, so everything waits in the bus's buffer.
    for (let i = 0; i < 5_000; i++) bus.pubsub.publish("setup-status", "org", { eventId: String(i), phoneNumberId: "n" });
    // The subscriber does not read until the bus has handed the subscription everything it holds.
    await tick();
    const { received, failure } = await readAll(events);
    assert.deepEqual(received.map((event) => event.eventId), ["0", "1", "2"]);
    assert.equal(failure?.extensions?.code, "SUBSCRIPTION_BACKLOG_EXCEEDED");
    await bus.close();
  });

  test("the burst buffer keeps order across its batch trims and drops only past its capacity", () => {
    const buffer = new BurstBuffer<number>(5_000);
    for (let i = 0; i < 6_000; i++) buffer.add(i);
    assert.equal(buffer.dropped, 1_000);
    const out: number[] = [];
    while (!buffer.empty) out.push(buffer.remove());
    assert.deepEqual(out, Array.from({ length: 5_000 }, (_, i) => i));
    assert.equal(buffer.full, false);
  });
});

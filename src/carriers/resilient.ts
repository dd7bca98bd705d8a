import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
} from "cockatiel";
import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.ts";
import { CarrierFailure, type CarrierAdapter } from "./adapter.ts";

export interface ResilienceOptions {
  /** Each call's deadline. */
  timeoutMs: number;
  /** Attempts after the first for idempotent calls. */
  retries: number;
  /** Consecutive failures that open the circuit. */
  breakerThreshold: number;
  /** How long the circuit stays open before one trial call. */
  breakerHalfOpenMs: number;
}

/** Failures worth retrying (for idempotent calls) and counting towards the circuit breaker. */
const transient = (error: unknown) => (error instanceof CarrierFailure && error.retryable) || error instanceof TaskCancelledError;

/**
 * Wraps a carrier with cockatiel policies: a deadline per call, bounded exponential-backoff
 * retries for idempotent calls (everything but placing an order, which the provisioning service
 * recovers by reference instead), and a circuit breaker shared by all calls, so a carrier outage
 * fails fast with a CarrierFailure instead of piling up requests. Each call is timed and its
 * failures counted in `metrics`, which also reports the breaker's state.
 */
export function resilient(carrier: CarrierAdapter, options: ResilienceOptions, logger: Logger, metrics?: Metrics): CarrierAdapter {
  const breaker = circuitBreaker(handleWhen(transient), {
    halfOpenAfter: options.breakerHalfOpenMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
  });
  breaker.onBreak(() => logger.warn({ carrier: carrier.name }, "carrier circuit opened: failing fast"));
  breaker.onReset(() => logger.info({ carrier: carrier.name }, "carrier circuit closed"));
  metrics?.trackBreaker(carrier.name, () => breaker.state);
  const deadline = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const retrying = retry(handleWhen(transient), { maxAttempts: options.retries, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }) });
  const once = wrap(breaker, deadline);
  const safe = wrap(retrying, breaker, deadline);

  const call = async <T>(policy: typeof once | typeof safe, method: string, fn: () => Promise<T>): Promise<T> => {
    const end = metrics?.carrierCalls.startTimer({ carrier: carrier.name, operation: method });
    try {
      const result = await attempt(policy, method, fn);
      end?.({ outcome: "ok" });
      return result;
    } catch (error) {
      const kind = error instanceof CarrierFailure ? error.kind : "UNKNOWN";
      end?.({ outcome: kind });
      metrics?.carrierFailures.inc({ carrier: carrier.name, operation: method, kind });
      throw error;
    }
  };

  /** One call through the policies; every failure comes out as a CarrierFailure. */
  const attempt = async <T>(policy: typeof once | typeof safe, method: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await policy.execute(fn);
    } catch (error) {
      if (error instanceof CarrierFailure) throw error;
      if (error instanceof TaskCancelledError) throw new CarrierFailure("TIMEOUT", `${method}: no answer within ${options.timeoutMs} ms`, carrier.name);
      if (error instanceof BrokenCircuitError) throw new CarrierFailure("UNAVAILABLE", `${method}: the carrier is failing; calls are paused briefly`, carrier.name);
      logger.error({ err: error, carrier: carrier.name, method }, "unexpected carrier error");
      throw new CarrierFailure("UNAVAILABLE", `${method}: unexpected carrier error`, carrier.name);
    }
  };

  return {
    name: carrier.name,
    searchAvailable: (criteria) => call(safe, "searchAvailable", () => carrier.searchAvailable(criteria)),
    searchesByPostalCode: carrier.searchesByPostalCode,
    placeOrder: (request) => call(once, "placeOrder", () => carrier.placeOrder(request)),
    getOrder: (id) => call(safe, "getOrder", () => carrier.getOrder(id)),
    findOrderByReference: (reference) => call(safe, "findOrderByReference", () => carrier.findOrderByReference(reference)),
    releaseNumber: (id) => call(safe, "releaseNumber", () => carrier.releaseNumber(id)),
    updateRouting: (id, routing) => call(safe, "updateRouting", () => carrier.updateRouting(id, routing)),
    listNumbers: () => call(safe, "listNumbers", () => carrier.listNumbers()),
    // State-sets (PATCH): repeating one is safe, so they are retried like reads.
    setCallerIdName: (id, name) => call(safe, "setCallerIdName", () => carrier.setCallerIdName(id, name)),
    setCallForwarding: (id, forwarding) => call(safe, "setCallForwarding", () => carrier.setCallForwarding(id, forwarding)),
    // One attempt, like placing an order: the message outbox retries, with the same reference.
    sendMessage: (request) => call(once, "sendMessage", () => carrier.sendMessage(request)),
    // One attempt: a creation; the toll-free service looks the request up by reference before trying again.
    submitTollFreeVerification: (request) => call(once, "submitTollFreeVerification", () => carrier.submitTollFreeVerification(request)),
    findTollFreeVerification: (reference, numbers) => call(safe, "findTollFreeVerification", () => carrier.findTollFreeVerification(reference, numbers)),
    sendsDedupedByReference: carrier.sendsDedupedByReference,
    // Safe to repeat: the address is found again by its reference; enabling and disabling set state.
    createEmergencyAddress: (request) => call(safe, "createEmergencyAddress", () => carrier.createEmergencyAddress(request)),
    enableEmergency: (id, addressId) => call(safe, "enableEmergency", () => carrier.enableEmergency(id, addressId)),
    disableEmergency: (id, addressId) => call(safe, "disableEmergency", () => carrier.disableEmergency(id, addressId)),
  };
}

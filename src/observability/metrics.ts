import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The Prometheus metrics of one Switchboard (one app instance): its own registry, not prom-client's
 * global one, so several apps in one process (the tests) never collide. Labels only ever carry
 * bounded values: operation names (capped, see `operationLabel`), error codes, job, carrier and
 * provider names; never an organization, key, number or message id.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Errors in GraphQL responses, by code (refusals included). */
  readonly graphqlErrors = new Counter({
    name: "switchboard_graphql_errors_total",
    help: "Errors in GraphQL responses, by operation and extensions.code (UNCODED when an error has none)",
    labelNames: ["operation_name", "operation_type", "code"] as const,
    registers: [this.registry],
  });

  /** Operations refused before running: rate budgets, cost, depth and the other operation limits, body size. */
  readonly refusals = new Counter({
    name: "switchboard_refusals_total",
    help: "Operations refused by a rate budget (RATE_LIMITED, by budget) or an operation limit (COST_LIMIT_EXCEEDED, ...)",
    labelNames: ["code", "budget"] as const,
    registers: [this.registry],
  });

  readonly carrierCalls = new Histogram({
    name: "switchboard_carrier_call_duration_seconds",
    help: "Carrier calls through the resilience wrapper (retries included), by carrier, operation and outcome (ok, or the failure kind)",
    labelNames: ["carrier", "operation", "outcome"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly carrierFailures = new Counter({
    name: "switchboard_carrier_call_failures_total",
    help: "Carrier calls that failed, by carrier, operation and kind (TIMEOUT, UNAVAILABLE, REJECTED, ...)",
    labelNames: ["carrier", "operation", "kind"] as const,
    registers: [this.registry],
  });

  readonly paymentCalls = new Histogram({
    name: "switchboard_payment_call_duration_seconds",
    help: "Charges sent to a payment provider, by provider and outcome (succeeded, failed, pending, unavailable, error)",
    labelNames: ["provider", "outcome"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly paymentFailures = new Counter({
    name: "switchboard_payment_call_failures_total",
    help: "Charges a payment provider declined or could not answer, by provider and outcome (failed, unavailable, error)",
    labelNames: ["provider", "outcome"] as const,
    registers: [this.registry],
  });

  readonly jobRuns = new Histogram({
    name: "switchboard_job_run_duration_seconds",
    help: "Runs of the background jobs, by job and outcome (ok, error); its _count is the number of runs",
    labelNames: ["job", "outcome"] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });

  readonly #breakers = new Map<string, () => number>();
  readonly #subscriptionSources: Array<() => number> = [];
  #outboxSource?: () => Promise<Record<string, number>>;

  constructor() {
    const breakers = this.#breakers;
    new Gauge({
      name: "switchboard_carrier_breaker_state",
      help: "Each carrier's circuit breaker: 0 closed, 1 open (failing fast), 2 half-open (one trial call), 3 isolated",
      labelNames: ["carrier"] as const,
      registers: [this.registry],
      collect() {
        for (const [carrier, state] of breakers) this.set({ carrier }, state());
      },
    });
    const subscriptions = this.#subscriptionSources;
    new Gauge({
      name: "switchboard_active_subscriptions",
      help: "Open GraphQL subscriptions on this instance, WebSocket and SSE together",
      registers: [this.registry],
      collect() {
        this.set(subscriptions.reduce((sum, count) => sum + count(), 0));
      },
    });
    const outboxes = () => this.#outboxSource;
    new Gauge({
      name: "switchboard_outbox_pending",
      help: "Rows waiting in each outbox (read when scraped): messages to send, webhook deliveries, reviewer notifications, pending charges, number orders",
      labelNames: ["outbox"] as const,
      registers: [this.registry],
      async collect() {
        const read = outboxes();
        if (!read) return;
        this.reset();
        try {
          for (const [outbox, pending] of Object.entries(await read())) this.set({ outbox }, pending);
        } catch {
          // The database is unreachable: /readyz says so; the scrape still answers, without this gauge.
        }
      },
    });
  }

  /** A circuit breaker whose state the breaker gauge reports (one per carrier name: the last one wins). */
  trackBreaker(carrier: string, state: () => number): void {
    this.#breakers.set(carrier, state);
  }

  /** A source of the number of open subscriptions. */
  trackSubscriptions(count: () => number): void {
    this.#subscriptionSources.push(count);
  }

  /** How the outbox depths are read at scrape time. */
  trackOutboxes(read: () => Promise<Record<string, number>>): void {
    this.#outboxSource = read;
  }

  /** Times `work` as a run of `job`. */
  async timeJob<T>(job: string, work: () => Promise<T>): Promise<T> {
    const end = this.jobRuns.startTimer({ job });
    try {
      const outcome = await work();
      end({ outcome: "ok" });
      return outcome;
    } catch (error) {
      end({ outcome: "error" });
      throw error;
    }
  }

  readonly #operationNames = new Set<string>();

  /**
   * An operation name as a label value: a GraphQL name of at most 64 characters among the first 200
   * distinct names registered (`register`: the operation ran, so its caller is authenticated);
   * anything else is "other", so no client can grow the scrape without bound by inventing names.
   */
  operationLabel(name: string | null | undefined, register = false): string {
    if (!name) return "anonymous";
    if (this.#operationNames.has(name)) return name;
    if (!register || !/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name) || this.#operationNames.size >= MAX_OPERATION_NAMES) return "other";
    this.#operationNames.add(name);
    return name;
  }
}

const MAX_OPERATION_NAMES = 200;

/** An error code as a label value: the codes this server raises look like this; anything else is OTHER. */
export function codeLabel(code: unknown): string {
  if (code === undefined || code === null) return "UNCODED";
  return typeof code === "string" && /^[A-Z][A-Z0-9_]{0,47}$/.test(code) ? code : "OTHER";
}

/** Whether an error code is a refusal of the operation before it ran (or of its response). */
export function isRefusal(code: string): boolean {
  return code === "RATE_LIMITED" || code.endsWith("_LIMIT_EXCEEDED") || code.endsWith("_TOO_LARGE");
}

import { GraphQLError } from "graphql";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Caller } from "../auth/caller.ts";

/**
 * Budgets per window (rate-limiter-flexible): per API key (or JWT subject) and per organization,
 * both weighted by operation cost; carrier spending (messages sent, numbers bought) per
 * organization; failed authentications per client address. In memory by default; with REDIS_URL
 * every instance draws from the same budgets (an in-memory budget takes over while Redis is down).
 */
export interface RateLimitSettings {
  windowSeconds: number;
  /** Cost points per key (or JWT subject) per window. */
  keyPoints: number;
  /** Cost points per organization per window, all its keys together. */
  organizationPoints: number;
  /** Messages sent and numbers bought per organization per window. */
  carrierUnits: number;
  /** Failed authentications per client address per window; then 429 until the window ends. */
  authFailures: number;
  /** What the smallest request draws: serving any request costs something. */
  minimumRequestCost: number;
  redisUrl?: string;
}

/** What a response tells the client about its key's budget (RateLimit-* headers). */
export interface BudgetState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export type RateDecision = { allowed: true; budget: BudgetState } | { allowed: false; error: GraphQLError; budget: BudgetState };

/** HTTP 429 with Retry-After: `extensions.code` RATE_LIMITED, which budget, and when to retry. */
export function rateLimitedError(message: string, retryAfterSeconds: number, budget: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: "RATE_LIMITED",
      budget,
      retryAfterSeconds,
      http: { status: 429, headers: { "retry-after": String(retryAfterSeconds) } },
    },
  });
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class RateLimits {
  readonly #settings: RateLimitSettings;
  readonly #perKey: RateLimiterAbstract;
  readonly #perOrganization: RateLimiterAbstract;
  readonly #carrier: RateLimiterAbstract;
  readonly #authFailures: RateLimiterAbstract;
  /** Addresses this instance saw exceed their failed-authentication budget, until when. */
  readonly #blockedAddresses = new Map<string, number>();
  readonly #redis?: Redis;

  constructor(settings: RateLimitSettings, logger: Logger) {
    this.#settings = settings;
    if (settings.redisUrl) {
      // No offline queue: while Redis is unreachable, calls fail at once and the in-memory insurance answers.
      this.#redis = new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      this.#redis.on("error", (error) => logger.warn({ err: error.message }, "rate-limit Redis error (in-memory budgets answer meanwhile)"));
    }
    const limiter = (keyPrefix: string, points: number) => {
      const options = { keyPrefix: `sb-rl-${keyPrefix}`, points, duration: settings.windowSeconds };
      return this.#redis
        ? new RateLimiterRedis({ ...options, storeClient: this.#redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
    };
    this.#perKey = limiter("key", settings.keyPoints);
    this.#perOrganization = limiter("org", settings.organizationPoints);
    this.#carrier = limiter("carrier", settings.carrierUnits);
    this.#authFailures = limiter("auth", settings.authFailures);
  }

  /**
   * Waits (up to `timeoutMs`) for Redis, so an instance does not start on its in-memory insurance
   * budgets and let a key spend more than the shared budget; without Redis it returns at once.
   */
  async connected(timeoutMs: number, logger: Logger): Promise<void> {
    const redis = this.#redis;
    if (!redis || redis.status === "ready") return;
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      redis.once("ready", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!ready) logger.warn({ timeoutMs }, "rate-limit Redis not reachable yet: each instance counts budgets in memory until it is");
  }

  get settings(): RateLimitSettings {
    return this.#settings;
  }

  /**
   * Draws an operation's cost from its key's and its organization's budgets, and its carrier units
   * from the organization's carrier budget. A refusal draws nothing.
   */
  async consume(caller: Caller, cost: number, carrierUnits: number): Promise<RateDecision> {
    const weight = Math.max(cost, this.#settings.minimumRequestCost);
    const drawn: Array<[RateLimiterAbstract, string, number]> = [];
    const refund = async () => {
      for (const [limiter, key, points] of drawn) await limiter.reward(key, points).catch(() => {});
    };
    let keyState: RateLimiterRes;
    try {
      keyState = await this.#perKey.consume(caller.subject, weight);
      drawn.push([this.#perKey, caller.subject, weight]);
    } catch (rejection) {
      const res = asResult(rejection);
      // rate-limiter-flexible counts a refused draw too: give it back, so a refusal draws nothing.
      await this.#perKey.reward(caller.subject, weight).catch(() => {});
      return {
        allowed: false,
        budget: this.#budget(res, weight),
        error: rateLimitedError(
          `This key's budget of ${this.#settings.keyPoints} cost points per ${this.#settings.windowSeconds} s is spent (this operation costs ${weight}); retry after ${seconds(res.msBeforeNext)} s`,
          seconds(res.msBeforeNext),
          "KEY",
        ),
      };
    }
    const carrier = carrierUnits > 0 ? ([this.#carrier, caller.organizationId, carrierUnits] as const) : undefined;
    let refusedBy: "ORGANIZATION" | "CARRIER" = "ORGANIZATION";
    try {
      // Each draw is recorded before it is made: a refused draw is counted by the limiter too, and is given back with the rest.
      drawn.push([this.#perOrganization, caller.organizationId, weight]);
      await this.#perOrganization.consume(caller.organizationId, weight);
      if (carrier) {
        refusedBy = "CARRIER";
        drawn.push([...carrier]);
        await this.#carrier.consume(caller.organizationId, carrierUnits);
      }
    } catch (rejection) {
      const res = asResult(rejection);
      await refund();
      return {
        allowed: false,
        budget: this.#budget(keyState, weight),
        error: refusedBy === "CARRIER"
          ? rateLimitedError(
              `The organization's carrier budget of ${this.#settings.carrierUnits} messages and numbers per ${this.#settings.windowSeconds} s is spent (this operation needs ${carrierUnits}); retry after ${seconds(res.msBeforeNext)} s`,
              seconds(res.msBeforeNext),
              "CARRIER",
            )
          : rateLimitedError(
              `The organization's budget of ${this.#settings.organizationPoints} cost points per ${this.#settings.windowSeconds} s is spent; retry after ${seconds(res.msBeforeNext)} s`,
              seconds(res.msBeforeNext),
              "ORGANIZATION",
            ),
      };
    }
    return { allowed: true, budget: this.#budget(keyState) };
  }

  /** Refuses a client address that failed to authenticate too often, before its credentials are looked at. */
  checkAddress(address: string): GraphQLError | undefined {
    const until = this.#blockedAddresses.get(address);
    if (until === undefined) return undefined;
    const now = Date.now();
    if (until <= now) {
      this.#blockedAddresses.delete(address);
      return undefined;
    }
    return rateLimitedError(`Too many failed authentications from this address; retry after ${seconds(until - now)} s`, seconds(until - now), "AUTHENTICATION");
  }

  /** Counts a failed authentication of an address; past the budget, the address is refused until the window ends. */
  async authenticationFailed(address: string): Promise<GraphQLError | undefined> {
    try {
      await this.#authFailures.consume(address, 1);
      return undefined;
    } catch (rejection) {
      const res = asResult(rejection);
      if (this.#blockedAddresses.size > 100_000) this.#blockedAddresses.clear();
      this.#blockedAddresses.set(address, Date.now() + res.msBeforeNext);
      return this.checkAddress(address);
    }
  }

  #budget(res: RateLimiterRes, refunded = 0): BudgetState {
    const limit = this.#settings.keyPoints;
    return { limit, remaining: Math.min(limit, Math.max(0, limit - (res.consumedPoints - refunded))), resetSeconds: seconds(res.msBeforeNext) };
  }

  async close(): Promise<void> {
    this.#redis?.disconnect();
  }
}

/** rate-limiter-flexible rejects with a RateLimiterRes when a budget is spent, or with an Error when its store fails. */
function asResult(rejection: unknown): RateLimiterRes {
  if (rejection instanceof RateLimiterRes) return rejection;
  throw rejection;
}

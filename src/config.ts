import { z } from "zod";
import type { OperationLimits } from "./limits/plugin.ts";
import type { RateLimitSettings } from "./limits/rate-limits.ts";

/**
 * Everything the server reads from its environment, validated once at start and passed down.
 * Nothing below src/main.ts reads process.env.
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default("127.0.0.1"),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  OTEL_TRACES_EXPORTER: z.enum(["otlp", "none"], { message: "only otlp or none is supported" }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).default("switchboard"),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default("./data"),
  ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, "must be 32 bytes as 64 hex characters or base64")
    .optional(),
  REDIS_URL: z.string().url().optional(),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(10_000).default(50),
  MAX_SUBSCRIPTIONS_PER_KEY: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  SUBSCRIPTION_MAX_BACKLOG: z.coerce.number().int().min(1).max(1_000).default(500),
  WS_KEEPALIVE_SECONDS: z.coerce.number().min(1).max(300).default(12),
  CARRIER: z.enum(["sandbox", "telnyx"]).default("sandbox"),
  CARRIER_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(10_000),
  CARRIER_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  CARRIER_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  ORDER_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(5),
  TELNYX_API_KEY: z.string().min(1).optional(),
  TELNYX_BASE_URL: z.string().url().optional(),
  TELNYX_CONNECTION_ID: z.string().optional(),
  TELNYX_MESSAGING_PROFILE_ID: z.string().optional(),
  TELNYX_PUBLIC_KEY: z.string().min(1).optional(),
  SANDBOX_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  SANDBOX_STATE_FILE: z.string().optional(),
  SANDBOX_FAULTS: z.string().optional(),
  SANDBOX_DELIVERY_DELAY_MS: z
    .union([z.literal("off"), z.coerce.number().int().min(0).max(600_000)], { error: 'must be a whole number of milliseconds (0 to 600000) or "off"' })
    .default(1_000),
  REVIEWER_WEBHOOK_URL: z.string().url().refine((url) => /^https?:/i.test(url), "must be an http(s) URL").optional(),
  REVIEWER_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  NOTIFICATION_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(5),
  NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  NOTIFICATION_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(10_000),
  MESSAGE_SEND_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(2),
  MESSAGE_SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  MESSAGE_SEND_RETRY_MS: z.coerce.number().int().min(1).max(3_600_000).default(2_000),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  API_KEY_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(1).max(50).default(12),
  MAX_OPERATION_COST: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  MAX_QUERY_BREADTH: z.coerce.number().int().min(1).max(100_000).default(500),
  MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
  MAX_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(50),
  MAX_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(5_000),
  MAX_NESTING: z.coerce.number().int().min(4).max(1_000).default(64),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  MAX_RESPONSE_BYTES: z.coerce.number().int().min(1_024).max(1_073_741_824).default(5 * 1024 * 1024),
  MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(1_073_741_824).default(1024 * 1024),
  WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1_024).max(1_073_741_824).default(1024 * 1024),
  WS_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(25),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  RATE_LIMIT_KEY_POINTS: z.coerce.number().int().min(1).max(1_000_000_000).default(50_000),
  RATE_LIMIT_ORG_POINTS: z.coerce.number().int().min(1).max(1_000_000_000).default(150_000),
  RATE_LIMIT_CARRIER_UNITS: z.coerce.number().int().min(1).max(1_000_000_000).default(120),
  RATE_LIMIT_AUTH_FAILURES: z.coerce.number().int().min(1).max(1_000_000).default(20),
  RATE_LIMIT_MIN_COST: z.coerce.number().int().min(0).max(1_000_000).default(10),
  GRAPHIQL: z.enum(["true", "false"]).default("true"),
  COMPRESSION: z.enum(["true", "false"]).default("true"),
  COMPRESSION_MIN_BYTES: z.coerce.number().int().min(0).max(1_073_741_824).default(1024),
  COMPILED_READS: z.enum(["true", "false"]).default("true"),
  EVENT_RETENTION_DAYS: z.coerce.number().min(1).max(3650).default(90),
  BILLING_POLL_SECONDS: z.coerce.number().min(0.05).max(86_400).default(60),
  BILLING_GRACE_DAYS: z.coerce.number().min(0).max(365).default(7),
  BILLING_RETRY_MINUTES: z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "comma-separated whole minutes, e.g. 60,1440,4320,10080")
    .default("60,1440,4320,10080"),
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(10_000),
  BILLING_UNAVAILABLE_RETRY_SECONDS: z.coerce.number().min(0.01).max(86_400).default(300),
  BILLING_MANUAL_FEE_CENTS: z.coerce.number().int().min(0).max(10_000_000).default(0),
  BILLING_SIP_TRUNK_FEE_CENTS: z.coerce.number().int().min(0).max(10_000_000).default(0),
  PAYMENT_PROVIDER: z.enum(["sandbox", "stripe"]).default("sandbox"),
  /** Crash-safety tests only: `crash-after-charge` kills the process right after a provider charged, before the answer is recorded. */
  BILLING_FAULTS: z.string().optional(),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE_URL: z.string().url().optional(),
  SANDBOX_PAYMENTS_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").default("sandbox-payments-webhook-secret"),
  SEED_DEMO: z.enum(["true", "false"]).default("true"),
  NODE_ENV: z.string().optional(),
  WEBHOOK_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(2),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(10_000),
  WEBHOOK_RETRY_SECONDS: z.coerce.number().min(0.01).max(3600).default(30),
  WEBHOOK_RETRY_HOURS: z.coerce.number().min(0.001).max(24 * 30).default(24),
  WEBHOOK_SECRET_OVERLAP_HOURS: z.coerce.number().min(0).max(24 * 30).default(24),
  WEBHOOK_ALLOW_LOOPBACK: z.enum(["true", "false"]).default("false"),
  WEBHOOK_ALLOWED_HOSTS: z.string().optional(),
});

export interface Config {
  port: number;
  host: string;
  /** Serve /metrics, /healthz and /readyz on this port (of HOST) instead; /metrics then leaves the public port. */
  metricsPort?: number;
  /** OpenTelemetry traces, exported over OTLP/HTTP; absent when no exporter is configured (nothing OTel is loaded). */
  tracing?: { url: string; serviceName: string };
  /** PostgreSQL server URL; absent means the embedded PGlite database in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** 32-byte AES key as hex or base64; absent in embedded mode means "create one in dataDir". */
  encryptionKey?: string;
  databasePoolSize: number;
  carrier: {
    name: "sandbox" | "telnyx";
    timeoutMs: number;
    retries: number;
    /** How long an open circuit (after 5 consecutive carrier failures) fails fast before one trial call. */
    breakerHalfOpenMs: number;
    /** How often pending carrier orders are checked (and lost answers recovered). */
    orderPollSeconds: number;
    telnyx: { apiKey?: string; baseUrl?: string; connectionId?: string; messagingProfileId?: string };
    /** Where the sandbox carrier remembers what it sold (default DATA_DIR/sandbox-carrier.json). */
    sandboxStateFile?: string;
    /**
     * Test-only fault switches for server processes: crash-after-order, crash-after-release,
     * crash-after-send, crash-after-emergency-address, crash-after-emergency-enable, crash-after-caller-id-name,
     * crash-after-call-forwarding, crash-after-toll-free-verification (each SIGKILLs the process right
     * after the sandbox carrier saved the change, before Switchboard wrote the answer), delay-completion.
     */
    sandboxFaults: string[];
    /** How long after accepting a message the sandbox carrier reports it DELIVERED (or FAILED); null: never (statuses only through /webhooks/sandbox). */
    sandboxDeliveryDelayMs: number | null;
  };
  /** Where reviewers are told of new 10DLC verification submissions (the notification outbox). */
  reviewerWebhook: {
    /** Absent: notifications stay QUEUED (nothing is lost) until a URL is configured. */
    url?: string;
    /** HMAC-SHA256 key for the X-Switchboard-Signature header. */
    secret?: string;
    pollSeconds: number;
    maxAttempts: number;
    timeoutMs: number;
  };
  /** Events older than this are deleted (src/jobs/event-retention.ts). */
  eventRetentionDays: number;
  /** Monthly billing of numbers (src/billing/). */
  billing: {
    pollSeconds: number;
    graceDays: number;
    retryMinutes: number[];
    unavailableRetryMs: number;
    /** How long a call to the payment provider may take; a claimed charge is held twice that plus 1 s. */
    paymentTimeoutMs: number;
    manualFeeCents: number;
    sipTrunkFeeCents: number;
    provider: "sandbox" | "stripe";
    /** Kill the process right after a provider charged, before recording it (crash-safety tests). */
    crashAfterCharge: boolean;
    /** HMAC key of the sandbox payment provider's webhook deliveries. */
    sandboxWebhookSecret: string;
    stripe?: { secretKey: string; webhookSecret: string; apiBaseUrl?: string };
  };
  /** The outbound message outbox: how the sender retries carrier calls. */
  messageSending: {
    /** How often due messages are looked for (a new message is also sent at once). */
    pollSeconds: number;
    /** Carrier calls before a message is FAILED for good. */
    maxAttempts: number;
    /** The delay before the first retry; each later one doubles it (at most 10 minutes). */
    retryMs: number;
  };
  /** Inbound carrier webhooks (messages and delivery statuses). */
  webhooks: {
    /** Telnyx's Ed25519 public key (base64); absent: /webhooks/telnyx refuses every delivery. */
    telnyxPublicKey?: string;
    /** HMAC key of /webhooks/sandbox; absent: that route refuses every delivery. */
    sandboxSecret?: string;
    /** Largest accepted difference between a delivery's timestamp and now. */
    toleranceSeconds: number;
  };
  /** Redis for pub/sub shared by instances; absent means in-process pub/sub. */
  redisUrl?: string;
  maxSubscriptionsPerConnection: number;
  maxSubscriptionsPerKey: number;
  /** Events a subscription may fall behind before it is ended with SUBSCRIPTION_BACKLOG_EXCEEDED. */
  subscriptionMaxBacklog: number;
  wsKeepAliveSeconds: number;
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string };
  apiKeyCacheSeconds: number;
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
  maxQueryDepth: number;
  /** Bounds every operation before it runs (src/limits). */
  limits: OperationLimits;
  /** Request bodies larger than this get 413 before they are parsed. */
  maxBodyBytes: number;
  wsMaxPayloadBytes: number;
  /** Queries and mutations one WebSocket may have running at once. */
  wsMaxInFlight: number;
  rateLimits: Omit<RateLimitSettings, "redisUrl">;
  graphiql: boolean;
  /** gzip/brotli for answers of at least `minBytes` (by Accept-Encoding); never for event streams. */
  compression: { enabled: boolean; minBytes: number };
  /** Answer the hot list reads it recognizes with one compiled statement (src/schema/compiled-reads.ts); false runs every operation through the executor. */
  compiledReads: boolean;
  /** Create a demo organization and print its key on the first start of an empty embedded database. */
  seedDemo: boolean;
  /** Customers' webhook endpoints and the delivery of events to them (src/webhooks/). */
  customerWebhooks: CustomerWebhookSettings;
}

export interface CustomerWebhookSettings {
  /** How often new events are fanned out to endpoints and due deliveries attempted. */
  pollSeconds: number;
  /** How long one delivery may take (connect, send, answer). */
  timeoutMs: number;
  /** The delay after the first failed attempt; each later one doubles it, at most an hour. */
  firstRetryMs: number;
  /** A delivery failing this long fails for good; an endpoint failing this long is disabled. */
  retryMs: number;
  /** How long a rotated-out secret keeps signing (a second signature). */
  secretOverlapMs: number;
  /** http:// to loopback addresses is allowed (NODE_ENV=development or WEBHOOK_ALLOW_LOOPBACK=true). */
  allowLoopback: boolean;
  /** Host names (lower case) allowed to resolve to private, loopback or link-local addresses. */
  allowedHosts: string[];
}

export class ConfigError extends Error {}

/**
 * Traces are on when an OTLP endpoint is configured (the standard variables: the traces endpoint
 * as it is, or the base endpoint plus /v1/traces), or OTEL_TRACES_EXPORTER=otlp alone (the
 * standard default, http://localhost:4318/v1/traces); OTEL_TRACES_EXPORTER=none turns them off.
 */
function tracingSettings(e: z.infer<typeof EnvSchema>): Config["tracing"] {
  if (e.OTEL_TRACES_EXPORTER === "none") return undefined;
  const url =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces` : undefined) ??
    (e.OTEL_TRACES_EXPORTER === "otlp" ? "http://localhost:4318/v1/traces" : undefined);
  return url ? { url, serviceName: e.OTEL_SERVICE_NAME } : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  }
  const e = parsed.data;
  if (Math.min(e.RATE_LIMIT_KEY_POINTS, e.RATE_LIMIT_ORG_POINTS) < e.MAX_OPERATION_COST) {
    throw new ConfigError("Invalid configuration:\n  RATE_LIMIT_KEY_POINTS, RATE_LIMIT_ORG_POINTS: must be at least MAX_OPERATION_COST, or the costliest allowed operation could never run");
  }
  if (e.PAYMENT_PROVIDER === "stripe" && (!e.STRIPE_SECRET_KEY || !e.STRIPE_WEBHOOK_SECRET)) {
    throw new ConfigError("Invalid configuration:\n  STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: required with PAYMENT_PROVIDER=stripe");
  }
  if (e.CARRIER === "telnyx" && !e.TELNYX_API_KEY) {
    throw new ConfigError("Invalid configuration:\n  TELNYX_API_KEY: required with CARRIER=telnyx");
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    throw new ConfigError("Invalid configuration:\n  METRICS_PORT: must differ from PORT (leave it unset to serve /metrics on PORT)");
  }
  return {
    port: e.PORT,
    host: e.HOST,
    metricsPort: e.METRICS_PORT,
    tracing: tracingSettings(e),
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    encryptionKey: e.ENCRYPTION_KEY,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    carrier: {
      name: e.CARRIER,
      timeoutMs: e.CARRIER_TIMEOUT_MS,
      retries: e.CARRIER_RETRIES,
      breakerHalfOpenMs: e.CARRIER_BREAKER_HALF_OPEN_MS,
      orderPollSeconds: e.ORDER_POLL_SECONDS,
      telnyx: {
        apiKey: e.TELNYX_API_KEY,
        baseUrl: e.TELNYX_BASE_URL,
        connectionId: e.TELNYX_CONNECTION_ID,
        messagingProfileId: e.TELNYX_MESSAGING_PROFILE_ID,
      },
      sandboxStateFile: e.SANDBOX_STATE_FILE,
      sandboxFaults: (e.SANDBOX_FAULTS ?? "").split(",").map((f) => f.trim()).filter(Boolean),
      sandboxDeliveryDelayMs: e.SANDBOX_DELIVERY_DELAY_MS === "off" ? null : e.SANDBOX_DELIVERY_DELAY_MS,
    },
    reviewerWebhook: {
      url: e.REVIEWER_WEBHOOK_URL,
      secret: e.REVIEWER_WEBHOOK_SECRET,
      pollSeconds: e.NOTIFICATION_POLL_SECONDS,
      maxAttempts: e.NOTIFICATION_MAX_ATTEMPTS,
      timeoutMs: e.NOTIFICATION_TIMEOUT_MS,
    },
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    billing: {
      pollSeconds: e.BILLING_POLL_SECONDS,
      graceDays: e.BILLING_GRACE_DAYS,
      retryMinutes: e.BILLING_RETRY_MINUTES.split(",").map((m) => Number(m.trim())),
      unavailableRetryMs: e.BILLING_UNAVAILABLE_RETRY_SECONDS * 1000,
      paymentTimeoutMs: e.PAYMENT_TIMEOUT_MS,
      manualFeeCents: e.BILLING_MANUAL_FEE_CENTS,
      sipTrunkFeeCents: e.BILLING_SIP_TRUNK_FEE_CENTS,
      provider: e.PAYMENT_PROVIDER,
      sandboxWebhookSecret: e.SANDBOX_PAYMENTS_WEBHOOK_SECRET,
      crashAfterCharge: (e.BILLING_FAULTS ?? "").split(",").map((f) => f.trim()).includes("crash-after-charge"),
      stripe: e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, apiBaseUrl: e.STRIPE_API_BASE_URL } : undefined,
    },
    messageSending: { pollSeconds: e.MESSAGE_SEND_POLL_SECONDS, maxAttempts: e.MESSAGE_SEND_MAX_ATTEMPTS, retryMs: e.MESSAGE_SEND_RETRY_MS },
    webhooks: { telnyxPublicKey: e.TELNYX_PUBLIC_KEY, sandboxSecret: e.SANDBOX_WEBHOOK_SECRET, toleranceSeconds: e.WEBHOOK_TOLERANCE_SECONDS },
    redisUrl: e.REDIS_URL,
    maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxSubscriptionsPerKey: e.MAX_SUBSCRIPTIONS_PER_KEY,
    subscriptionMaxBacklog: e.SUBSCRIPTION_MAX_BACKLOG,
    wsKeepAliveSeconds: e.WS_KEEPALIVE_SECONDS,
    jwt: { secret: e.JWT_SECRET, jwksUrl: e.JWT_JWKS_URL, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    apiKeyCacheSeconds: e.API_KEY_CACHE_SECONDS,
    logLevel: e.LOG_LEVEL,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    limits: {
      maxCost: e.MAX_OPERATION_COST,
      maxDepth: e.MAX_QUERY_DEPTH,
      maxBreadth: e.MAX_QUERY_BREADTH,
      maxAliases: e.MAX_ALIASES,
      maxDirectives: e.MAX_DIRECTIVES,
      maxTokens: e.MAX_TOKENS,
      maxNesting: e.MAX_NESTING,
      timeoutMs: e.REQUEST_TIMEOUT_MS,
      maxResponseBytes: e.MAX_RESPONSE_BYTES,
    },
    maxBodyBytes: e.MAX_BODY_BYTES,
    wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
    wsMaxInFlight: e.WS_MAX_IN_FLIGHT,
    rateLimits: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      keyPoints: e.RATE_LIMIT_KEY_POINTS,
      organizationPoints: e.RATE_LIMIT_ORG_POINTS,
      carrierUnits: e.RATE_LIMIT_CARRIER_UNITS,
      authFailures: e.RATE_LIMIT_AUTH_FAILURES,
      minimumRequestCost: e.RATE_LIMIT_MIN_COST,
    },
    graphiql: e.GRAPHIQL === "true",
    compression: { enabled: e.COMPRESSION === "true", minBytes: e.COMPRESSION_MIN_BYTES },
    compiledReads: e.COMPILED_READS === "true",
    seedDemo: e.SEED_DEMO === "true",
    customerWebhooks: {
      pollSeconds: e.WEBHOOK_POLL_SECONDS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      firstRetryMs: e.WEBHOOK_RETRY_SECONDS * 1000,
      retryMs: e.WEBHOOK_RETRY_HOURS * 3_600_000,
      secretOverlapMs: e.WEBHOOK_SECRET_OVERLAP_HOURS * 3_600_000,
      allowLoopback: e.WEBHOOK_ALLOW_LOOPBACK === "true" || e.NODE_ENV === "development",
      allowedHosts: (e.WEBHOOK_ALLOWED_HOSTS ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean),
    },
  };
}

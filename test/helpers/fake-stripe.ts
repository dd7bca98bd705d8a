import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the part of Stripe API v1 that the Stripe payment provider
 * (src/billing/stripe.ts) uses, answering with Stripe's documented shapes (docs.stripe.com/api,
 * and the stripe v23 SDK's types):
 *
 *   POST /v1/payment_intents   form-encoded, as the SDK sends it: amount, currency, customer,
 *                              payment_method, confirm, off_session, description,
 *                              automatic_payment_methods[enabled|allow_redirects], metadata[...]
 *                              -> 200 PaymentIntent { id: "pi_...", object: "payment_intent", status, ... }
 *   GET  /v1/payment_intents/{id}
 *
 * Every request needs `Authorization: Bearer <secretKey>` (401 otherwise). Errors use Stripe's
 * envelope { error: { type, code, decline_code, message, param, payment_intent, doc_url } } with
 * Stripe's statuses: 402 card_error (declines), 400 invalid_request_error (no such customer, no
 * payment method, bad amount), 401 bad key, 404 unknown URL, 409 the same idempotency key still
 * in flight, 429 rate limited, 500 api_error.
 *
 * Idempotency as Stripe documents it for API v1 (docs.stripe.com/api/idempotent_requests): once an
 * endpoint starts executing, the status and body of the first request with an `Idempotency-Key`
 * are saved and replayed (with `Idempotent-Replayed: true`) to every later request with that key
 * and the same parameters, errors included; other parameters under the same key get 400
 * idempotency_error; a request whose key is still executing gets 409. Refusals before execution
 * (bad key, rate limit, missing parameters, an injected front-door 500) are not saved. Keys never
 * expire here (Stripe prunes them after at least 24 hours).
 *
 * Customers are set up with `addCustomer`, each with an outcome for the PaymentIntents confirmed
 * for it: succeed, decline (a card error with a code), require_action, processing. `switches` make
 * the next requests fail, hang or lose their answer. `settle` finishes a PaymentIntent and
 * returns the signed webhook delivery Stripe would send. State lives in memory; nothing here
 * reaches the network beyond 127.0.0.1.
 */

/** What confirming a PaymentIntent for a customer does. */
export type FakeCustomerOutcome =
  | { kind: "succeed" }
  /**
   * A card decline (402): `code` defaults to "card_declined"; `declineCode` is the issuer's reason
   * (insufficient_funds, generic_decline, ...); for code "authentication_required" (Stripe's
   * answer to an off-session payment the issuer wants authenticated) it defaults to the same.
   */
  | { kind: "decline"; code?: string; declineCode?: string; adviceCode?: string; message?: string }
  /** 200 with status requires_action (Stripe's answer on session; off session it declines with authentication_required). */
  | { kind: "require_action" }
  /** 200 with status processing (bank debits): the result comes by webhook. */
  | { kind: "processing" };

export interface FakeCustomer {
  id: string;
  outcome: FakeCustomerOutcome;
  /** PaymentMethods attached to the customer; payment_method must name one of them. */
  paymentMethods: string[];
  /**
   * The legacy `default_source`: the only default a PaymentIntent confirmed without
   * payment_method falls back to (invoice_settings.default_payment_method is not used by
   * PaymentIntents). Null: such a confirmation fails with "missing a payment method".
   */
  defaultSource: string | null;
}

export interface FakePaymentIntent {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_received: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  payment_method: string | null;
  status: "requires_payment_method" | "requires_confirmation" | "requires_action" | "processing" | "succeeded" | "canceled";
  latest_charge: string | null;
  last_payment_error: null | {
    type: "card_error" | "invalid_request_error";
    code: string;
    decline_code?: string;
    advice_code?: string;
    message: string;
    payment_method?: { id: string; object: "payment_method"; type: "card" };
  };
  next_action: null | { type: "use_stripe_sdk"; use_stripe_sdk: Record<string, unknown> };
  confirmation_method: "automatic";
  capture_method: "automatic";
  automatic_payment_methods: { enabled: boolean; allow_redirects?: string } | null;
  payment_method_types: string[];
  setup_future_usage: null;
  client_secret: string;
  cancellation_reason: null;
  canceled_at: null;
  created: number;
  livemode: false;
}

export interface RecordedStripeRequest {
  method: string;
  /** Path without the query, e.g. "/v1/payment_intents". */
  path: string;
  /** The form body decoded into nested objects as Stripe reads it (values stay strings). */
  body: Record<string, unknown>;
  authorization: string | undefined;
  /** The Idempotency-Key header, if the request carried one. */
  idempotencyKey: string | undefined;
  /** The status the fake answered; undefined while hanging or when the answer was lost. */
  status?: number;
  /** True when the answer was a replay of a saved idempotent response. */
  replayed?: boolean;
}

export interface FakeStripeSwitches {
  /** The next N requests get `500 api_error`, before anything executes (nothing created, nothing saved). */
  failNext: number;
  /**
   * The next N requests get `500 api_error` after the endpoint started: nothing created, but the
   * 500 is saved under the idempotency key and replayed, as Stripe does.
   */
  failNextSaved: number;
  /** The next N requests get 429 rate_limit, nothing done, nothing saved. */
  rateLimitNext: number;
  /** The next N requests are never answered (until the client gives up or the fake closes), nothing done. */
  hangNext: number;
  /**
   * The next N requests are executed (PaymentIntent created, answer saved under the key), then
   * their connection is destroyed without an answer: the charge happened, the client cannot know.
   */
  loseAnswerNext: number;
}

export interface FakeStripeState {
  customers: Map<string, FakeCustomer>;
  paymentIntents: Map<string, FakePaymentIntent>;
  requests: RecordedStripeRequest[];
}

export interface FakeStripeOptions {
  secretKey?: string;
  webhookSecret?: string;
  switches?: Partial<FakeStripeSwitches>;
}

/** A webhook delivery as Stripe sends it: the raw JSON body and its `Stripe-Signature` header. */
export interface SignedWebhook {
  body: string;
  signature: string;
  event: StripeEvent;
}

export interface StripeEvent {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: unknown };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface FakeStripe {
  /** The origin, e.g. http://127.0.0.1:41234 (the provider's apiBaseUrl). */
  url: string;
  secretKey: string;
  webhookSecret: string;
  state: FakeStripeState;
  switches: FakeStripeSwitches;
  /** Adds a customer (default: succeeds, with payment method "pm_card_visa" attached and no default source). */
  addCustomer(id: string, outcome?: FakeCustomerOutcome, options?: { paymentMethods?: string[]; defaultSource?: string | null }): FakeCustomer;
  /**
   * Finishes a PaymentIntent (e.g. one left processing) and returns the signed delivery of the
   * event Stripe would send: payment_intent.succeeded, or payment_intent.payment_failed with the
   * decline as last_payment_error.
   */
  settle(paymentIntentId: string, outcome: "succeeded" | { declineCode: string; message?: string }): SignedWebhook;
  /** Recorded requests matching a method and path. */
  requestsTo(method: string, path: string | RegExp): RecordedStripeRequest[];
  close(): Promise<void>;
}

/** The API version the stripe 23.1.0 SDK pins (events carry the webhook endpoint's version). */
export const FAKE_API_VERSION = "2026-10-28.endive";

/** Builds a Stripe event object around a resource, as Stripe's webhooks deliver it. */
export function stripeEvent(type: string, object: unknown, options: { id?: string; created?: number } = {}): StripeEvent {
  return {
    id: options.id ?? `evt_${token(24)}`,
    object: "event",
    api_version: FAKE_API_VERSION,
    created: options.created ?? Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/**
 * The `Stripe-Signature` header Stripe puts on a delivery (docs.stripe.com/webhooks/signature):
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint secret>`.
 * Computed here with node:crypto, independently of the SDK that verifies it.
 */
export function signWebhookBody(body: string, secret: string, timestampSeconds = Math.floor(Date.now() / 1000)): string {
  const signature = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`, "utf8").digest("hex");
  return `t=${timestampSeconds},v1=${signature}`;
}

/** A signed delivery of `event` (serialized as Stripe does, pretty-printed JSON). */
export function signedWebhook(event: StripeEvent, secret: string, timestampSeconds?: number): SignedWebhook {
  const body = JSON.stringify(event, null, 2);
  return { body, signature: signWebhookBody(body, secret, timestampSeconds), event };
}

const ERROR_DOCS = "https://docs.stripe.com/error-codes/";

function token(length: number): string {
  return randomBytes(length).toString("base64url").replace(/[-_]/g, "x").slice(0, length);
}

/** Stripe's form encoding (a[b][c]=v, a[0]=v) decoded into nested objects and arrays of strings. */
export function decodeStripeForm(raw: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> = root;
    path.forEach((part, index) => {
      const last = index === path.length - 1;
      const name = part === "" ? String(Object.keys(node).length) : part;
      if (last) {
        node[name] = value;
      } else {
        node[name] ??= {};
        node = node[name] as Record<string, unknown>;
      }
    });
  }
  return arrays(root) as Record<string, unknown>;
}

/** Objects whose keys are exactly 0..n-1 become arrays (a[0]=x&a[1]=y). */
function arrays(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, arrays(v)] as const);
  const indexed = entries.length > 0 && entries.every(([k], i) => k === String(i));
  return indexed ? entries.map(([, v]) => v) : Object.fromEntries(entries);
}

/** A stable text of a decoded body, so two requests can be compared whatever their key order. */
function canonical(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const object = value as Record<string, unknown>;
  return `{${Object.keys(object).sort().map((k) => `${JSON.stringify(k)}:${canonical(object[k])}`).join(",")}}`;
}

export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const secretKey = options.secretKey ?? `sk_test_fake${token(32)}`;
  const webhookSecret = options.webhookSecret ?? `whsec_${token(32)}`;
  const switches: FakeStripeSwitches = { failNext: 0, failNextSaved: 0, rateLimitNext: 0, hangNext: 0, loseAnswerNext: 0, ...options.switches };
  const state: FakeStripeState = { customers: new Map(), paymentIntents: new Map(), requests: [] };
  /** Saved idempotent answers by key; `pending` while the first request with the key executes. */
  const saved = new Map<string, { fingerprint: string; answer: Answer | "pending" }>();
  const hanging = new Set<ServerResponse>();
  const now = () => Math.floor(Date.now() / 1000);

  type Answer = { status: number; body: unknown };

  const stripeError = (
    status: number,
    error: { type: string; message: string; code?: string; decline_code?: string; advice_code?: string; param?: string; payment_intent?: FakePaymentIntent; charge?: string },
  ): Answer => ({
    status,
    body: {
      error: {
        ...error,
        ...(error.code ? { doc_url: ERROR_DOCS + error.code } : {}),
        request_log_url: `https://dashboard.stripe.com/test/logs/req_${token(14)}`,
      },
    },
  });

  const redacted = (key: string) => (key.length > 12 ? `${key.slice(0, 8)}${"*".repeat(key.length - 12)}${key.slice(-4)}` : "****");

  /** Parameter validation: a refusal here is not saved under the idempotency key, as Stripe documents. */
  const refusePaymentIntent = (body: Record<string, unknown>): Answer | null => {
    const amount = Number(body.amount);
    if (body.amount === undefined) return stripeError(400, { type: "invalid_request_error", code: "parameter_missing", param: "amount", message: "Missing required param: amount." });
    if (!/^\d+$/.test(String(body.amount)) || amount < 1) {
      return stripeError(400, { type: "invalid_request_error", code: "parameter_invalid_integer", param: "amount", message: `Invalid integer: ${String(body.amount)}` });
    }
    if (typeof body.currency !== "string" || !/^[a-z]{3}$/.test(body.currency)) {
      return stripeError(400, { type: "invalid_request_error", code: "parameter_missing", param: "currency", message: "Missing required param: currency." });
    }
    return null;
  };

  /** Runs after validation: everything it answers is saved under the idempotency key. */
  const executePaymentIntent = (body: Record<string, unknown>): Answer => {
    const customerId = typeof body.customer === "string" ? body.customer : null;
    const customer = customerId ? state.customers.get(customerId) : undefined;
    if (customerId && !customer) {
      return stripeError(400, { type: "invalid_request_error", code: "resource_missing", param: "customer", message: `No such customer: '${customerId}'` });
    }
    const requested = typeof body.payment_method === "string" ? body.payment_method : null;
    if (requested && customer && !customer.paymentMethods.includes(requested)) {
      return stripeError(400, { type: "invalid_request_error", code: "resource_missing", param: "payment_method", message: `No such PaymentMethod: '${requested}'` });
    }
    const metadata = (typeof body.metadata === "object" && body.metadata !== null ? body.metadata : {}) as Record<string, string>;
    const automatic = body.automatic_payment_methods as { enabled?: string; allow_redirects?: string } | undefined;
    const id = `pi_${token(24)}`;
    const intent: FakePaymentIntent = {
      id,
      object: "payment_intent",
      amount: Number(body.amount),
      amount_received: 0,
      currency: String(body.currency),
      customer: customerId,
      description: typeof body.description === "string" ? body.description : null,
      metadata: { ...metadata },
      payment_method: requested ?? customer?.defaultSource ?? null,
      status: "requires_payment_method",
      latest_charge: null,
      last_payment_error: null,
      next_action: null,
      confirmation_method: "automatic",
      capture_method: "automatic",
      automatic_payment_methods: automatic ? { enabled: automatic.enabled === "true", ...(automatic.allow_redirects ? { allow_redirects: automatic.allow_redirects } : {}) } : null,
      payment_method_types: ["card"],
      setup_future_usage: null,
      client_secret: `${id}_secret_${token(24)}`,
      cancellation_reason: null,
      canceled_at: null,
      created: now(),
      livemode: false,
    };
    state.paymentIntents.set(id, intent);
    if (body.confirm !== "true") return { status: 200, body: intent };

    const paymentMethod = intent.payment_method;
    if (!paymentMethod) {
      // Stripe creates the PaymentIntent, then refuses to confirm it.
      return stripeError(400, {
        type: "invalid_request_error",
        code: "payment_intent_unexpected_state",
        message:
          "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        payment_intent: intent,
      });
    }
    const outcome = customer?.outcome ?? { kind: "succeed" };
    switch (outcome.kind) {
      case "succeed":
        intent.status = "succeeded";
        intent.amount_received = intent.amount;
        intent.latest_charge = `ch_${token(24)}`;
        return { status: 200, body: intent };
      case "processing":
        intent.status = "processing";
        intent.latest_charge = `py_${token(24)}`;
        return { status: 200, body: intent };
      case "require_action":
        intent.status = "requires_action";
        intent.next_action = { type: "use_stripe_sdk", use_stripe_sdk: { type: "three_d_secure_redirect", stripe_js: "https://hooks.stripe.com/..." } };
        return { status: 200, body: intent };
      case "decline": {
        const code = outcome.code ?? "card_declined";
        const declineCode = outcome.declineCode ?? (code === "card_declined" ? "generic_decline" : code === "authentication_required" ? code : undefined);
        const message = outcome.message ?? declineMessage(declineCode ?? code);
        const charge = `ch_${token(24)}`;
        intent.latest_charge = charge;
        intent.last_payment_error = {
          type: "card_error",
          code,
          ...(declineCode ? { decline_code: declineCode } : {}),
          ...(outcome.adviceCode ? { advice_code: outcome.adviceCode } : {}),
          message,
          payment_method: { id: paymentMethod, object: "payment_method", type: "card" },
        };
        return stripeError(402, {
          type: "card_error",
          code,
          ...(declineCode ? { decline_code: declineCode } : {}),
          ...(outcome.adviceCode ? { advice_code: outcome.adviceCode } : {}),
          message,
          charge,
          payment_intent: intent,
        });
      }
    }
  };

  const route = (method: string, path: string, body: Record<string, unknown>, idempotencyKey: string | undefined): Answer & { replayed?: boolean } => {
    if (method === "POST" && path === "/v1/payment_intents") {
      const refusal = refusePaymentIntent(body);
      if (refusal) return refusal;
      if (!idempotencyKey) return executePaymentIntent(body);
      const fingerprint = `${method} ${path} ${canonical(body)}`;
      const previous = saved.get(idempotencyKey);
      if (previous?.answer === "pending") {
        return stripeError(409, {
          type: "idempotency_error",
          code: "idempotency_key_in_use",
          message: "There is currently another in-progress request using this Idempotency-Key. Retry this request later.",
        });
      }
      if (previous && previous.fingerprint !== fingerprint) {
        return stripeError(400, {
          type: "idempotency_error",
          code: "idempotency_key_in_use",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      if (previous) return { ...previous.answer, replayed: true };
      saved.set(idempotencyKey, { fingerprint, answer: "pending" });
      let answer: Answer;
      if (switches.failNextSaved > 0) {
        switches.failNextSaved--;
        answer = stripeError(500, { type: "api_error", message: "An unknown error occurred" });
      } else {
        answer = executePaymentIntent(body);
      }
      // A deep copy: later changes to the PaymentIntent (settle) must not alter the replayed answer.
      saved.set(idempotencyKey, { fingerprint, answer: JSON.parse(JSON.stringify(answer)) as Answer });
      return answer;
    }
    const intentMatch = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (method === "GET" && intentMatch) {
      const intent = state.paymentIntents.get(decodeURIComponent(intentMatch[1]!));
      return intent
        ? { status: 200, body: intent }
        : stripeError(404, { type: "invalid_request_error", code: "resource_missing", param: "intent", message: `No such payment_intent: '${intentMatch[1]}'` });
    }
    return stripeError(404, {
      type: "invalid_request_error",
      message: `Unrecognized request URL (${method}: ${path}). Please see https://docs.stripe.com or we can help at https://support.stripe.com/.`,
    });
  };

  const send = (res: ServerResponse, record: RecordedStripeRequest, answer: Answer & { replayed?: boolean }) => {
    record.status = answer.status;
    if (answer.replayed) record.replayed = true;
    if (res.destroyed || res.writableEnded) return;
    const payload = JSON.stringify(answer.body, null, 2);
    res.writeHead(answer.status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
      "request-id": `req_${token(14)}`,
      "stripe-version": FAKE_API_VERSION,
      ...(record.idempotencyKey ? { "idempotency-key": record.idempotencyKey } : {}),
      ...(answer.replayed ? { "idempotent-replayed": "true" } : {}),
    });
    res.end(payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake.stripe");
    const key = req.headers["idempotency-key"];
    const record: RecordedStripeRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      body: decodeStripeForm(req.method === "GET" ? url.search.slice(1) : raw),
      authorization: req.headers.authorization,
      idempotencyKey: typeof key === "string" ? key : undefined,
    };
    state.requests.push(record);

    if (switches.hangNext > 0) {
      switches.hangNext--;
      hanging.add(res);
      res.once("close", () => hanging.delete(res));
      return;
    }
    if (switches.failNext > 0) {
      switches.failNext--;
      return send(res, record, stripeError(500, { type: "api_error", message: "An unknown error occurred" }));
    }
    const authorization = record.authorization ?? "";
    if (!authorization.startsWith("Bearer ")) {
      return send(res, record, stripeError(401, {
        type: "invalid_request_error",
        message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      }));
    }
    if (authorization !== `Bearer ${secretKey}`) {
      return send(res, record, stripeError(401, {
        type: "invalid_request_error",
        code: "api_key_invalid",
        message: `Invalid API Key provided: ${redacted(authorization.slice("Bearer ".length))}`,
      }));
    }
    if (switches.rateLimitNext > 0) {
      switches.rateLimitNext--;
      return send(res, record, stripeError(429, {
        type: "invalid_request_error",
        code: "rate_limit",
        message: "Request rate limit exceeded. Learn more about rate limits here https://docs.stripe.com/rate-limits.",
      }));
    }
    const answer = route(record.method, record.path, record.body, record.idempotencyKey);
    if (switches.loseAnswerNext > 0) {
      switches.loseAnswerNext--;
      // Executed and saved; the answer never leaves.
      req.socket.destroy();
      return;
    }
    send(res, record, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { type: "api_error", message: `fake Stripe: ${String(error)}` } }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    webhookSecret,
    state,
    switches,
    addCustomer: (id, outcome = { kind: "succeed" }, customerOptions = {}) => {
      const customer: FakeCustomer = {
        id,
        outcome,
        paymentMethods: customerOptions.paymentMethods ?? ["pm_card_visa"],
        defaultSource: customerOptions.defaultSource ?? null,
      };
      state.customers.set(id, customer);
      return customer;
    },
    settle: (paymentIntentId, outcome) => {
      const intent = state.paymentIntents.get(paymentIntentId);
      if (!intent) throw new Error(`fake Stripe: no PaymentIntent ${paymentIntentId}`);
      if (outcome === "succeeded") {
        intent.status = "succeeded";
        intent.amount_received = intent.amount;
        intent.next_action = null;
        intent.last_payment_error = null;
        return signedWebhook(stripeEvent("payment_intent.succeeded", structuredClone(intent)), webhookSecret);
      }
      intent.status = "requires_payment_method";
      intent.next_action = null;
      intent.last_payment_error = {
        type: "card_error",
        code: "card_declined",
        decline_code: outcome.declineCode,
        message: outcome.message ?? declineMessage(outcome.declineCode),
      };
      return signedWebhook(stripeEvent("payment_intent.payment_failed", structuredClone(intent)), webhookSecret);
    },
    requestsTo: (method, path) =>
      state.requests.filter((r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path))),
    close: async () => {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The customer-facing messages Stripe sends with common declines (abridged from its decline code reference). */
function declineMessage(code: string): string {
  switch (code) {
    case "insufficient_funds":
      return "Your card has insufficient funds.";
    case "expired_card":
      return "Your card has expired.";
    case "incorrect_cvc":
      return "Your card's security code is incorrect.";
    case "authentication_required":
      return "Your card was declined. This transaction requires authentication.";
    case "lost_card":
    case "stolen_card":
    case "fraudulent":
    case "generic_decline":
    default:
      return "Your card was declined.";
  }
}

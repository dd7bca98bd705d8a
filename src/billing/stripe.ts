import { createRequire } from "node:module";
import type Stripe from "stripe";
import {
  ProviderUnavailable,
  WebhookSignatureError,
  type ChargeOutcome,
  type ChargeRequest,
  type PaymentEvent,
  type PaymentProvider,
} from "./provider.ts";

/**
 * The Stripe SDK, loaded when a Stripe provider is created: about 1 MB of JavaScript and some 50 ms
 * of a start that a server without STRIPE_SECRET_KEY does not pay. `require`, not `import()`, so
 * creating the provider stays synchronous (the SDK's package main is CommonJS); the bundle in dist/
 * leaves it in node_modules.
 */
let stripeSdk: typeof Stripe | undefined;
function loadStripe(): typeof Stripe {
  stripeSdk ??= createRequire(import.meta.url)("stripe") as typeof Stripe;
  return stripeSdk;
}

/** What createStripeProvider needs; read from configuration once, at start. */
export interface StripeProviderOptions {
  /** The account's secret key (`sk_live_...` / `sk_test_...`). Never logged, never put in an error. */
  secretKey: string;
  /** The webhook endpoint's signing secret (`whsec_...`). */
  webhookSecret: string;
  /**
   * Where the API is, for a local stand-in (tests): an origin such as http://127.0.0.1:12111, with
   * no path or "/v1" (the SDK always adds "/v1/..."). Default: https://api.stripe.com.
   */
  apiBaseUrl?: string;
  /** How long one request may stay silent before it is abandoned (the SDK's socket idle timeout). */
  timeoutMs: number;
}

/**
 * Card declines after which the same card may be charged successfully later without the customer
 * replacing it (Stripe's decline code reference, docs.stripe.com/declines/codes): the money may
 * arrive (insufficient_funds, card_velocity_exceeded, withdrawal_count_limit_exceeded), the issuer
 * gave no reason or asks to try again (generic_decline, do_not_honor, call_issuer, try_again_later,
 * issuer_not_available, processing_error, reenter_transaction, approve_with_id, no_action_taken),
 * or the customer can authenticate on session and a later off-session attempt may pass
 * (authentication_required). Everything else (lost_card, stolen_card, pickup_card, fraudulent,
 * expired_card, incorrect_number, incorrect_cvc, do_not_try_again, card_not_supported,
 * currency_not_supported, transaction_not_allowed, ...) and every code not listed here is not
 * retryable: retrying a hard decline can cost network fees, so the unknown is treated as hard.
 *
 * Stripe's `advice_code` overrides the table when present: `try_again_later` makes any decline
 * retryable, `do_not_try_again` and `confirm_card_data` make it final.
 */
export const RETRYABLE_DECLINE_CODES: ReadonlySet<string> = new Set([
  "insufficient_funds",
  "card_velocity_exceeded",
  "withdrawal_count_limit_exceeded",
  "generic_decline",
  "card_declined",
  "do_not_honor",
  "call_issuer",
  "try_again_later",
  "issuer_not_available",
  "processing_error",
  "reenter_transaction",
  "approve_with_id",
  "no_action_taken",
  "authentication_required",
]);

/**
 * Whether a card decline may succeed if the same charge is attempted again later (see
 * RETRYABLE_DECLINE_CODES). `code` is Stripe's `decline_code` when the issuer gave one, else the
 * error `code` (`card_declined` alone means a generic decline).
 */
export function isRetryableDecline(code: string | null | undefined, adviceCode?: string | null): boolean {
  if (adviceCode === "try_again_later") return true;
  if (adviceCode === "do_not_try_again" || adviceCode === "confirm_card_data") return false;
  return code ? RETRYABLE_DECLINE_CODES.has(code) : false;
}

/**
 * The Stripe payment provider, through the official `stripe` SDK (v23), against Stripe API v1.
 *
 * charge() creates and confirms one PaymentIntent off session:
 *   POST /v1/payment_intents  amount, currency (lower case), customer, payment_method (when set),
 *   confirm=true, off_session=true, automatic_payment_methods[enabled]=true and
 *   [allow_redirects]=never (an off-session charge cannot send anyone to a redirect page, and
 *   without it Stripe asks for a return_url), description, metadata[chargeId], metadata[organizationId],
 *   with `Idempotency-Key: <idempotencyKey>` (the charge id, then `<id>:<n>` after n declines).
 * Answers become outcomes: `succeeded` -> SUCCEEDED; `processing`, `requires_action`,
 * `requires_confirmation`, `requires_capture` -> PENDING (the webhook finishes it); a card error
 * (HTTP 402) -> FAILED, retryable per isRetryableDecline, with the declined PaymentIntent's id
 * when Stripe sends it; an invalid request (400/404: no such customer, no payment method, bad
 * amount) -> FAILED, not retryable. No answer, a timeout, a 5xx, a 409 (the same key still in
 * flight) or a 429 -> ProviderUnavailable: the outcome is unknown, retry with the same charge id.
 * A refused key (401/403) is ProviderUnavailable too: nothing was charged, and the charge should
 * wait for the configuration to be fixed rather than fail for the customer. The same key sent
 * with different parameters (Stripe's idempotency_error) is a plain Error: a bug on our side, and
 * the first request with that key may have charged.
 *
 * Stripe replays the saved answer of a key (2xx, 402, 400 and 500 alike) for at least 24 hours.
 * So a FAILED retryable charge attempted again with the same key gets the same decline back
 * until the key expires: the billing job sends a new key (`<chargeId>:<declines>`) after each
 * definitive decline, and the same key after a lost answer. The same holds for a 500 that Stripe
 * saved: ProviderUnavailable again until the key expires (Stripe asks to treat a 500 as
 * indeterminate and reconcile through webhooks).
 *
 * The SDK retries a request once by itself, with the same Idempotency-Key, when the connection is
 * closed under it (ECONNRESET, EPIPE), even with maxNetworkRetries 0; our key makes that safe.
 *
 * parseWebhook() verifies the `Stripe-Signature` header with the SDK (HMAC-SHA256 of
 * "<t>.<body>", timestamps older than 300 s refused) and reads payment_intent.succeeded and
 * payment_intent.payment_failed events carrying metadata.chargeId; anything else is null.
 */
export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  if (!options.secretKey) throw new Error("createStripeProvider: secretKey is required");
  if (!options.webhookSecret?.trim()) throw new Error("createStripeProvider: webhookSecret is required");
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new Error("createStripeProvider: timeoutMs must be a positive integer of milliseconds");
  }
  const { secretKey, webhookSecret } = options;
  const Sdk = loadStripe();
  const stripe = new Sdk(secretKey, {
    ...endpointOf(options.apiBaseUrl),
    // Our billing job retries, with the same idempotency key, on its own schedule.
    maxNetworkRetries: 0,
    timeout: options.timeoutMs,
    // Off: the telemetry header would repeat the previous request's id and latency to Stripe.
    telemetry: false,
  });
  /** An error message that cannot carry the key, whatever text it started from. */
  const scrub = (text: string) => text.split(secretKey).join("[secret key]");

  return {
    name: "stripe",

    async charge(request: ChargeRequest): Promise<ChargeOutcome> {
      if (!request.customerId) {
        return { status: "FAILED", providerReference: null, reason: "no Stripe customer set for the organization", retryable: false };
      }
      const params: Stripe.PaymentIntentCreateParams = {
        amount: request.amountCents,
        currency: request.currency.toLowerCase(),
        customer: request.customerId,
        confirm: true,
        off_session: true,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        description: request.description,
        metadata: { chargeId: request.chargeId, organizationId: request.organizationId },
      };
      if (request.paymentMethodId) params.payment_method = request.paymentMethodId;
      let intent: Stripe.PaymentIntent;
      try {
        intent = await stripe.paymentIntents.create(params, { idempotencyKey: request.idempotencyKey ?? request.chargeId });
      } catch (error) {
        return outcomeOfError(error, request.chargeId, scrub);
      }
      return outcomeOfIntent(intent);
    },

    parseWebhook(rawBody: string, signatureHeader: string | null): PaymentEvent | null {
      if (!signatureHeader) throw new WebhookSignatureError("Stripe webhook: no Stripe-Signature header");
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signatureHeader, webhookSecret);
      } catch (error) {
        if (error instanceof Sdk.errors.StripeSignatureVerificationError) {
          // The SDK's message continues with a paragraph of advice; its first line says what failed.
          throw new WebhookSignatureError(`Stripe webhook: ${firstLine(error.message)}`);
        }
        throw error;
      }
      if (event.type !== "payment_intent.succeeded" && event.type !== "payment_intent.payment_failed") return null;
      const intent = event.data.object;
      const chargeId = intent.metadata?.chargeId;
      if (!chargeId) return null;
      return {
        eventId: event.id,
        chargeId,
        providerReference: intent.id,
        outcome:
          event.type === "payment_intent.succeeded"
            ? { status: "SUCCEEDED" }
            : { status: "FAILED", reason: describePaymentError(intent.last_payment_error) ?? "payment failed" },
      };
    },
  };
}

/** The SDK's host/port/protocol for apiBaseUrl (nothing for the default, api.stripe.com over https). */
function endpointOf(apiBaseUrl: string | undefined): Pick<Stripe.StripeConfig, "host" | "port" | "protocol"> {
  if (!apiBaseUrl) return {};
  const url = new URL(apiBaseUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`createStripeProvider: apiBaseUrl must be http(s), got ${url.protocol}`);
  if (!/^\/(v1\/?)?$/.test(url.pathname) || url.search || url.username) {
    throw new Error("createStripeProvider: apiBaseUrl must be an origin (the SDK adds /v1/ itself)");
  }
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    // URL keeps IPv6 hosts in brackets; http.request wants them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port || (protocol === "http" ? 80 : 443),
    protocol,
  };
}

/** A confirmed PaymentIntent's status as our outcome. */
function outcomeOfIntent(intent: Stripe.PaymentIntent): ChargeOutcome {
  switch (intent.status) {
    case "succeeded":
      return { status: "SUCCEEDED", providerReference: intent.id };
    case "processing":
    case "requires_action":
    case "requires_confirmation":
    case "requires_capture":
      return { status: "PENDING", providerReference: intent.id };
    case "requires_payment_method": {
      // Stripe normally answers a failed confirmation with a 402; read the attempt's error if not.
      const failure = intent.last_payment_error;
      return {
        status: "FAILED",
        providerReference: intent.id,
        reason: describePaymentError(failure) ?? "the payment method was refused",
        retryable: isRetryableDecline(failure?.decline_code ?? failure?.code, failure?.advice_code),
      };
    }
    case "canceled":
      return { status: "FAILED", providerReference: intent.id, reason: `payment canceled (${intent.cancellation_reason ?? "no reason given"})`, retryable: false };
    default:
      // A status newer than this code: the webhook will say how it ends.
      return { status: "PENDING", providerReference: intent.id };
  }
}

/** An error from paymentIntents.create as an outcome, or rethrown as ProviderUnavailable / Error. */
function outcomeOfError(error: unknown, chargeId: string, scrub: (text: string) => string): ChargeOutcome {
  const { errors } = loadStripe();
  if (!(error instanceof errors.StripeError)) throw error;
  const paymentIntentId = error.payment_intent?.id ?? null;
  if (error instanceof errors.StripeCardError) {
    return {
      status: "FAILED",
      providerReference: paymentIntentId,
      reason: scrub(describePaymentError(error) ?? "card declined"),
      retryable: isRetryableDecline(error.decline_code ?? error.code, error.advice_code),
    };
  }
  if (error instanceof errors.StripeIdempotencyError) {
    throw new Error(
      scrub(`Stripe refused charge ${chargeId}: its idempotency key was used before with other parameters (${error.message}); the first request may have charged`),
    );
  }
  if (error instanceof errors.StripeInvalidRequestError) {
    return { status: "FAILED", providerReference: paymentIntentId, reason: scrub(describePaymentError(error) ?? "invalid request"), retryable: false };
  }
  // Connection errors, timeouts, 5xx, 409 (the same key in flight), 429 and refused keys.
  const status = error.statusCode ? ` HTTP ${error.statusCode}` : "";
  const request = error.requestId ? `, request ${error.requestId}` : "";
  const what =
    error instanceof errors.StripeAuthenticationError || error instanceof errors.StripePermissionError
      ? `Stripe refused our secret key for charge ${chargeId}, nothing charged`
      : `Stripe did not settle charge ${chargeId}`;
  throw new ProviderUnavailable(scrub(`${what} (${error.type}${status}${request}): ${error.message}`));
}

/** "card_declined (insufficient_funds): Your card has insufficient funds." from Stripe's error fields. */
function describePaymentError(
  failure: { code?: string | null; decline_code?: string | null; message?: string | null } | null | undefined,
): string | null {
  if (!failure) return null;
  const codes = [failure.code, failure.decline_code && failure.decline_code !== failure.code ? failure.decline_code : null].filter(Boolean);
  const label = codes.length === 0 ? "" : codes.length === 1 ? `${codes[0]}` : `${codes[0]} (${codes[1]})`;
  const text = [label, failure.message].filter(Boolean).join(": ");
  return text || null;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.trim();
}

/**
 * Payment providers: what the billing job (src/billing/) charges an organization through.
 *
 * A charge is written to our ledger first (a Charge row, PENDING), then sent to the provider with
 * the charge's id as the idempotency key, then finished from the answer. A retry after a lost
 * answer (timeout, crash) sends the same key, so the provider charges at most once.
 */

/** One charge to make. Money is integer cents, never floating point. */
export interface ChargeRequest {
  /** Our Charge row's id (in the payment's metadata: webhooks name the charge by it). */
  chargeId: string;
  /**
   * The idempotency key at the provider (Stripe's `Idempotency-Key`): the charge id, then a new key
   * after each definitive decline (providers replay a key's first answer, decline included, so a
   * retry of a declined charge needs a fresh key; a lost answer keeps the key, so it never charges twice).
   * Defaults to `chargeId`.
   */
  idempotencyKey?: string;
  organizationId: string;
  /** The organization's customer at the provider (Stripe: `cus_...`); null when none is set. */
  customerId: string | null;
  /** The customer's payment method to charge off-session (Stripe: `pm_...`); null for the customer's default. */
  paymentMethodId: string | null;
  /** Positive integer cents. */
  amountCents: number;
  /** ISO 4217, upper case ("USD"). */
  currency: string;
  /** Shown on the customer's statement or the provider's dashboard, e.g. "+14155550100 2026-11". */
  description: string;
}

/** What the provider answered. A transport failure or timeout (unknown outcome) is a thrown ProviderUnavailable. */
export type ChargeOutcome =
  | { status: "SUCCEEDED"; providerReference: string }
  /** Declined or refused: `retryable` when the same charge may succeed later (insufficient funds), false when it cannot (no customer). */
  | { status: "FAILED"; providerReference: string | null; reason: string; retryable: boolean }
  /** Accepted, the result comes later by webhook (Stripe: requires_action, processing). */
  | { status: "PENDING"; providerReference: string };

/** The provider could not be reached or did not answer: the charge's outcome is unknown; retry with the same key. */
export class ProviderUnavailable extends Error {
  override name = "ProviderUnavailable";
}

/** A verified payment event from the provider's webhook. */
export interface PaymentEvent {
  /** The provider's event id (deduplication). */
  eventId: string;
  /** Our charge id, from the payment's metadata. */
  chargeId: string;
  providerReference: string;
  outcome: { status: "SUCCEEDED" } | { status: "FAILED"; reason: string };
}

export interface PaymentProvider {
  readonly name: "sandbox" | "stripe";
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /**
   * Verifies a webhook delivery (raw body and its signature header) and reads the payment event
   * in it; throws WebhookSignatureError when the signature does not verify. Null for events that
   * are not about a charge of ours.
   */
  parseWebhook(rawBody: string, signatureHeader: string | null): PaymentEvent | null;
}

export class WebhookSignatureError extends Error {
  override name = "WebhookSignatureError";
}

import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { ProviderUnavailable, WebhookSignatureError, type ChargeOutcome, type ChargeRequest, type PaymentEvent, type PaymentProvider } from "./provider.ts";

/**
 * Switches tests flip to make the sandbox payment provider misbehave like a real one. Counters
 * apply to the next N charge calls.
 */
export interface SandboxPaymentSwitches {
  /** Organizations whose charges are declined (insufficient funds: retryable) until removed. */
  declineOrganizations: Set<string>;
  /** The next N charges are declined. */
  declineNext: number;
  /** The next N calls fail before anything happens (503): the outcome is unknown to the caller. */
  unavailableNext: number;
  /** The next N charges are made, then the answer is lost: the caller sees ProviderUnavailable. */
  loseAnswerNext: number;
  /** The next N charges are accepted and settle later: PENDING, the result comes by webhook. */
  pendingNext: number;
}

/** A payment the sandbox made; `requests` counts the calls that named its idempotency key. */
export interface SandboxPayment {
  request: ChargeRequest;
  outcome: ChargeOutcome;
  requests: number;
}

/**
 * The default payment provider: charges nothing real, deterministic, idempotent as Stripe is (a
 * repeated idempotency key replays the first answer, a decline included), with switches for
 * declines, outages and lost answers. Its webhook deliveries are signed with an HMAC of the body.
 */
export class SandboxPayments implements PaymentProvider {
  readonly name = "sandbox" as const;
  readonly switches: SandboxPaymentSwitches = { declineOrganizations: new Set(), declineNext: 0, unavailableNext: 0, loseAnswerNext: 0, pendingNext: 0 };
  /** Every answer given, by idempotency key. */
  readonly payments = new Map<string, SandboxPayment>();

  constructor(private readonly webhookSecret = "sandbox-payments-webhook-secret") {}

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    if (this.switches.unavailableNext > 0) {
      this.switches.unavailableNext--;
      throw new ProviderUnavailable("The sandbox payment provider is unavailable (503)");
    }
    const key = request.idempotencyKey ?? request.chargeId;
    const replay = this.payments.get(key);
    if (replay) {
      replay.requests++;
      return replay.outcome;
    }
    let outcome: ChargeOutcome;
    if (!Number.isSafeInteger(request.amountCents) || request.amountCents <= 0) {
      outcome = { status: "FAILED", providerReference: null, reason: `invalid amount ${request.amountCents}`, retryable: false };
    } else if (this.switches.declineNext > 0 || this.switches.declineOrganizations.has(request.organizationId)) {
      if (this.switches.declineNext > 0) this.switches.declineNext--;
      outcome = { status: "FAILED", providerReference: `sandbox_pi_${randomUUID()}`, reason: "insufficient_funds: Your card has insufficient funds (sandbox)", retryable: true };
    } else if (this.switches.pendingNext > 0) {
      this.switches.pendingNext--;
      outcome = { status: "PENDING", providerReference: `sandbox_pi_${randomUUID()}` };
    } else {
      outcome = { status: "SUCCEEDED", providerReference: `sandbox_pi_${randomUUID()}` };
    }
    this.payments.set(key, { request, outcome, requests: 1 });
    if (this.switches.loseAnswerNext > 0) {
      this.switches.loseAnswerNext--;
      throw new ProviderUnavailable("The sandbox payment provider's answer was lost (timeout)");
    }
    return outcome;
  }

  /** Payments that actually moved money (one per charge, however many requests). */
  succeeded(): SandboxPayment[] {
    return [...this.payments.values()].filter((p) => p.outcome.status === "SUCCEEDED");
  }

  /** A signed webhook delivery of a payment event, as tests send it. */
  signedWebhook(event: PaymentEvent): { body: string; signature: string } {
    const body = JSON.stringify(event);
    return { body, signature: createHmac("sha256", this.webhookSecret).update(body).digest("hex") };
  }

  parseWebhook(rawBody: string, signatureHeader: string | null): PaymentEvent | null {
    const expected = createHmac("sha256", this.webhookSecret).update(rawBody).digest();
    const given = Buffer.from(signatureHeader ?? "", "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookSignatureError("Invalid sandbox payment webhook signature");
    const event = JSON.parse(rawBody) as PaymentEvent;
    return typeof event.chargeId === "string" ? event : null;
  }
}

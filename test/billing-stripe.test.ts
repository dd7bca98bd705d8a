import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { ProviderUnavailable, WebhookSignatureError, type ChargeOutcome, type ChargeRequest, type PaymentProvider } from "../src/billing/provider.ts";
import { createStripeProvider, isRetryableDecline } from "../src/billing/stripe.ts";
import {
  signedWebhook,
  signWebhookBody,
  startFakeStripe,
  stripeEvent,
  type FakeCustomerOutcome,
  type FakeStripe,
  type FakeStripeOptions,
} from "./helpers/fake-stripe.ts";

// The Stripe payment provider (src/billing/stripe.ts, the official stripe SDK underneath) against a
// local fake of Stripe API v1 (helpers/fake-stripe.ts): what it sends for a charge, how each answer
// (success, declines, pending, refusals, outages, lost answers) becomes an outcome, that a retry
// with the same charge id never charges twice, and which webhook deliveries it accepts. Adapter
// level only: no GraphQL server, no database, no internet.

describe("Stripe payment provider", () => {
  const fakes: FakeStripe[] = [];
  /** Every error message and failure reason seen, to check that none quotes a secret key. */
  const texts: string[] = [];
  const secrets = new Set<string>();

  after(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
    for (const text of texts) for (const secret of secrets) assert.ok(!text.includes(secret), `a secret key leaked into: ${text}`);
  });

  async function setup(options: FakeStripeOptions = {}, providerOptions: { timeoutMs?: number; secretKey?: string } = {}) {
    const fake = await startFakeStripe(options);
    fakes.push(fake);
    secrets.add(fake.secretKey);
    if (providerOptions.secretKey) secrets.add(providerOptions.secretKey);
    const provider = createStripeProvider({
      secretKey: providerOptions.secretKey ?? fake.secretKey,
      webhookSecret: fake.webhookSecret,
      apiBaseUrl: fake.url,
      timeoutMs: providerOptions.timeoutMs ?? 2_000,
    });
    return { fake, provider };
  }

  /** A charge of $12.34 for a customer, with a fresh charge id. */
  function chargeFor(customerId: string | null, overrides: Partial<ChargeRequest> = {}): ChargeRequest {
    return {
      chargeId: `chg_${randomUUID()}`,
      organizationId: `org_${randomUUID()}`,
      customerId,
      paymentMethodId: "pm_card_visa",
      amountCents: 1234,
      currency: "USD",
      description: "+14155550100 2026-11",
      ...overrides,
    };
  }

  function record(outcome: ChargeOutcome): ChargeOutcome {
    if (outcome.status === "FAILED") texts.push(outcome.reason);
    return outcome;
  }

  /** Awaits a rejection with a ProviderUnavailable; returns it. */
  async function unavailable(promise: Promise<unknown>): Promise<ProviderUnavailable> {
    const error = await promise.then(
      (value) => assert.fail(`expected ProviderUnavailable, got ${JSON.stringify(value)}`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ProviderUnavailable, `expected ProviderUnavailable, got ${String(error)}`);
    texts.push(error.message, String(error), error.stack ?? "");
    return error;
  }

  /** The fake's PaymentIntents for a charge id (there must never be more than one). */
  const intentsFor = (fake: FakeStripe, chargeId: string) => [...fake.state.paymentIntents.values()].filter((pi) => pi.metadata.chargeId === chargeId);

  test("a charge creates one confirmed off-session PaymentIntent keyed by the charge id, and succeeds with its id", async () => {
    const { fake, provider } = await setup();
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice", { currency: "USD", amountCents: 1234 });

    const outcome = await provider.charge(request);

    const [sent, ...others] = fake.requestsTo("POST", "/v1/payment_intents");
    assert.equal(others.length, 0);
    assert.equal(sent!.idempotencyKey, request.chargeId);
    assert.equal(sent!.authorization, `Bearer ${fake.secretKey}`);
    assert.deepEqual(sent!.body, {
      amount: "1234",
      currency: "usd",
      customer: "cus_alice",
      payment_method: "pm_card_visa",
      confirm: "true",
      off_session: "true",
      automatic_payment_methods: { enabled: "true", allow_redirects: "never" },
      description: "+14155550100 2026-11",
      metadata: { chargeId: request.chargeId, organizationId: request.organizationId },
    });
    const [intent] = intentsFor(fake, request.chargeId);
    assert.equal(intent!.status, "succeeded");
    assert.deepEqual(outcome, { status: "SUCCEEDED", providerReference: intent!.id });
  });

  test("without a payment method the request names none, and Stripe's fallback (the customer's default source) is charged", async () => {
    const { fake, provider } = await setup();
    fake.addCustomer("cus_legacy", { kind: "succeed" }, { defaultSource: "card_legacy" });
    const outcome = await provider.charge(chargeFor("cus_legacy", { paymentMethodId: null }));
    const sent = fake.requestsTo("POST", "/v1/payment_intents")[0]!;
    assert.equal("payment_method" in sent.body, false);
    assert.equal(outcome.status, "SUCCEEDED");
  });

  const declines: Array<{ name: string; outcome: FakeCustomerOutcome; code: string; message: string; retryable: boolean }> = [
    { name: "insufficient funds", outcome: { kind: "decline", declineCode: "insufficient_funds" }, code: "card_declined (insufficient_funds)", message: "insufficient funds", retryable: true },
    { name: "a generic decline", outcome: { kind: "decline" }, code: "card_declined (generic_decline)", message: "Your card was declined.", retryable: true },
    { name: "authentication required off session", outcome: { kind: "decline", code: "authentication_required" }, code: "authentication_required", message: "requires authentication", retryable: true },
    { name: "do_not_honor", outcome: { kind: "decline", declineCode: "do_not_honor" }, code: "card_declined (do_not_honor)", message: "declined", retryable: true },
    { name: "an expired card", outcome: { kind: "decline", code: "expired_card" }, code: "expired_card", message: "Your card has expired.", retryable: false },
    { name: "a stolen card", outcome: { kind: "decline", declineCode: "stolen_card" }, code: "card_declined (stolen_card)", message: "declined", retryable: false },
    { name: "a wrong CVC", outcome: { kind: "decline", code: "incorrect_cvc" }, code: "incorrect_cvc", message: "security code", retryable: false },
    {
      name: "insufficient funds the issuer says not to retry (advice_code)",
      outcome: { kind: "decline", declineCode: "insufficient_funds", adviceCode: "do_not_try_again" },
      code: "card_declined (insufficient_funds)",
      message: "insufficient funds",
      retryable: false,
    },
    {
      name: "an unlisted decline the issuer says to try later (advice_code)",
      outcome: { kind: "decline", declineCode: "transaction_not_allowed", adviceCode: "try_again_later" },
      code: "card_declined (transaction_not_allowed)",
      message: "declined",
      retryable: true,
    },
  ];
  for (const decline of declines) {
    test(`a card declined for ${decline.name} fails${decline.retryable ? ", retryable," : " for good"} with the declined PaymentIntent's id`, async () => {
      const { fake, provider } = await setup();
      fake.addCustomer("cus_declined", decline.outcome);
      const request = chargeFor("cus_declined");
      const outcome = record(await provider.charge(request));
      const [intent, ...more] = intentsFor(fake, request.chargeId);
      assert.equal(more.length, 0);
      assert.equal(intent!.status, "requires_payment_method");
      assert.equal(outcome.status, "FAILED");
      if (outcome.status !== "FAILED") return;
      assert.equal(outcome.providerReference, intent!.id);
      assert.equal(outcome.retryable, decline.retryable);
      assert.ok(outcome.reason.startsWith(`${decline.code}: `), `reason: ${outcome.reason}`);
      assert.ok(outcome.reason.toLowerCase().includes(decline.message.toLowerCase()), `reason: ${outcome.reason}`);
    });
  }

  test("the decline table: listed soft declines retry, hard and unknown ones do not, advice codes win", () => {
    assert.equal(isRetryableDecline("insufficient_funds"), true);
    assert.equal(isRetryableDecline("card_declined"), true);
    assert.equal(isRetryableDecline("authentication_required"), true);
    assert.equal(isRetryableDecline("lost_card"), false);
    assert.equal(isRetryableDecline("fraudulent"), false);
    assert.equal(isRetryableDecline("some_future_code"), false);
    assert.equal(isRetryableDecline(undefined), false);
    assert.equal(isRetryableDecline("lost_card", "try_again_later"), true);
    assert.equal(isRetryableDecline("generic_decline", "confirm_card_data"), false);
  });

  test("a payment still processing or waiting for the customer's action is PENDING with its PaymentIntent", async () => {
    const { fake, provider } = await setup();
    fake.addCustomer("cus_bank", { kind: "processing" });
    fake.addCustomer("cus_3ds", { kind: "require_action" });
    const processing = chargeFor("cus_bank");
    const action = chargeFor("cus_3ds");
    assert.deepEqual(await provider.charge(processing), { status: "PENDING", providerReference: intentsFor(fake, processing.chargeId)[0]!.id });
    assert.deepEqual(await provider.charge(action), { status: "PENDING", providerReference: intentsFor(fake, action.chargeId)[0]!.id });
  });

  test("an organization without a Stripe customer fails for good without a request to Stripe", async () => {
    const { fake, provider } = await setup();
    const outcome = await provider.charge(chargeFor(null));
    assert.deepEqual(outcome, { status: "FAILED", providerReference: null, reason: "no Stripe customer set for the organization", retryable: false });
    assert.equal(fake.state.requests.length, 0);
  });

  test("refusals of the request itself fail for good: unknown customer, foreign payment method, no payment method at all", async () => {
    const { fake, provider } = await setup();
    fake.addCustomer("cus_bare", { kind: "succeed" }, { paymentMethods: [], defaultSource: null });

    const unknown = record(await provider.charge(chargeFor("cus_nobody")));
    assert.equal(unknown.status, "FAILED");
    if (unknown.status === "FAILED") {
      assert.equal(unknown.retryable, false);
      assert.equal(unknown.providerReference, null);
      assert.match(unknown.reason, /^resource_missing: No such customer: 'cus_nobody'/);
    }

    const foreign = record(await provider.charge(chargeFor("cus_bare", { paymentMethodId: "pm_someone_else" })));
    assert.equal(foreign.status, "FAILED");
    if (foreign.status === "FAILED") {
      assert.equal(foreign.retryable, false);
      assert.match(foreign.reason, /No such PaymentMethod: 'pm_someone_else'/);
    }

    // Stripe creates the PaymentIntent and then refuses to confirm it; its id is kept.
    const missing = chargeFor("cus_bare", { paymentMethodId: null });
    const outcome = record(await provider.charge(missing));
    assert.equal(outcome.status, "FAILED");
    if (outcome.status === "FAILED") {
      assert.equal(outcome.retryable, false);
      assert.equal(outcome.providerReference, intentsFor(fake, missing.chargeId)[0]!.id);
      assert.match(outcome.reason, /^payment_intent_unexpected_state: .*missing a payment method/);
    }
  });

  test("a 500 before Stripe acted is ProviderUnavailable; the retry with the same charge id charges once", async () => {
    const { fake, provider } = await setup({ switches: { failNext: 1 } });
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice");
    const error = await unavailable(provider.charge(request));
    assert.match(error.message, /HTTP 500/);
    assert.equal(intentsFor(fake, request.chargeId).length, 0);

    const retried = await provider.charge(request);
    const intents = intentsFor(fake, request.chargeId);
    assert.equal(intents.length, 1);
    assert.deepEqual(retried, { status: "SUCCEEDED", providerReference: intents[0]!.id });
  });

  test("a 500 Stripe saved under the key comes back for every retry with that key (Stripe replays it until the key expires)", async () => {
    const { fake, provider } = await setup({ switches: { failNextSaved: 1 } });
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice");
    await unavailable(provider.charge(request));
    await unavailable(provider.charge(request));
    const sent = fake.requestsTo("POST", "/v1/payment_intents");
    assert.deepEqual(sent.map((r) => [r.status, r.replayed ?? false]), [[500, false], [500, true]]);
    assert.equal(intentsFor(fake, request.chargeId).length, 0);
  });

  test("a rate limit (429) is ProviderUnavailable, and nothing was charged", async () => {
    const { fake, provider } = await setup({ switches: { rateLimitNext: 1 } });
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice");
    const error = await unavailable(provider.charge(request));
    assert.match(error.message, /HTTP 429/);
    assert.equal(intentsFor(fake, request.chargeId).length, 0);
  });

  test("no answer within timeoutMs is ProviderUnavailable; the retry with the same charge id succeeds", async () => {
    const { fake, provider } = await setup({ switches: { hangNext: 1 } }, { timeoutMs: 300 });
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice");
    const started = Date.now();
    const error = await unavailable(provider.charge(request));
    assert.ok(Date.now() - started < 2_000, `gave up after ${Date.now() - started} ms`);
    assert.match(error.message, /timeout/i);

    const retried = await provider.charge(request);
    assert.equal(retried.status, "SUCCEEDED");
    assert.equal(intentsFor(fake, request.chargeId).length, 1);
  });

  test("one lost answer is recovered by the SDK itself: it resends the same key once and Stripe replays the charge", async () => {
    const { fake, provider } = await setup({ switches: { loseAnswerNext: 1 } });
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice");
    const outcome = await provider.charge(request);
    const intents = intentsFor(fake, request.chargeId);
    assert.equal(intents.length, 1);
    assert.deepEqual(outcome, { status: "SUCCEEDED", providerReference: intents[0]!.id });
    // The SDK retries a closed connection once even with maxNetworkRetries 0, with our key.
    const sent = fake.requestsTo("POST", "/v1/payment_intents");
    assert.deepEqual(sent.map((r) => [r.idempotencyKey, r.status, r.replayed ?? false]), [
      [request.chargeId, undefined, false],
      [request.chargeId, 200, true],
    ]);
  });

  test("a charge made but its answer lost twice is ProviderUnavailable; the job's retry gets the same PaymentIntent, one created", async () => {
    const { fake, provider } = await setup({ switches: { loseAnswerNext: 2 } });
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice");
    await unavailable(provider.charge(request));
    const made = intentsFor(fake, request.chargeId);
    assert.equal(made.length, 1, "Stripe charged although the client heard nothing");
    assert.equal(made[0]!.status, "succeeded");

    const retried = await provider.charge(request);
    assert.deepEqual(retried, { status: "SUCCEEDED", providerReference: made[0]!.id });
    assert.equal(intentsFor(fake, request.chargeId).length, 1);
    assert.equal(fake.state.paymentIntents.size, 1);
    const sent = fake.requestsTo("POST", "/v1/payment_intents");
    assert.equal(sent.length, 3);
    assert.ok(sent.every((r) => r.idempotencyKey === request.chargeId));
  });

  test("the same charge id with other parameters is a bug: a plain Error, never a second PaymentIntent", async () => {
    const { fake, provider } = await setup();
    fake.addCustomer("cus_alice");
    const request = chargeFor("cus_alice");
    await provider.charge(request);
    const error = await provider.charge({ ...request, amountCents: 9999 }).then(
      () => assert.fail("expected an error"),
      (e: unknown) => e as Error,
    );
    assert.ok(!(error instanceof ProviderUnavailable));
    texts.push(error.message);
    assert.match(error.message, /idempotency key was used before with other parameters/);
    assert.equal(fake.requestsTo("POST", "/v1/payment_intents").at(-1)!.status, 400);
    assert.equal(intentsFor(fake, request.chargeId).length, 1);
  });

  test("a refused secret key or an unreachable Stripe is ProviderUnavailable, and no error quotes the key", async () => {
    const wrongKey = `sk_test_wrong${randomUUID().replace(/-/g, "")}`;
    const { fake, provider } = await setup({}, { secretKey: wrongKey });
    fake.addCustomer("cus_alice");
    const refused = await unavailable(provider.charge(chargeFor("cus_alice")));
    assert.match(refused.message, /refused our secret key .*HTTP 401/);
    assert.ok(!refused.message.includes(wrongKey));

    const gone = await setup();
    await gone.fake.close();
    const unreachable = await unavailable(gone.provider.charge(chargeFor("cus_alice")));
    assert.match(unreachable.message, /connection to Stripe/);
    assert.ok(!unreachable.message.includes(gone.fake.secretKey));
  });

  test("the provider refuses a base URL with a path, and missing secrets", () => {
    const base = { secretKey: "sk_test_x", webhookSecret: "whsec_x", timeoutMs: 1000 };
    assert.throws(() => createStripeProvider({ ...base, apiBaseUrl: "http://127.0.0.1:1/api" }), /origin/);
    assert.doesNotThrow(() => createStripeProvider({ ...base, apiBaseUrl: "http://127.0.0.1:1/v1" }));
    assert.throws(() => createStripeProvider({ ...base, secretKey: "" }), /secretKey/);
    assert.throws(() => createStripeProvider({ ...base, webhookSecret: " " }), /webhookSecret/);
  });

  describe("webhooks", () => {
    /** A provider and a processing PaymentIntent of ours, ready to be settled by a webhook. */
    async function pendingCharge(): Promise<{ fake: FakeStripe; provider: PaymentProvider; request: ChargeRequest; intentId: string }> {
      const { fake, provider } = await setup();
      fake.addCustomer("cus_bank", { kind: "processing" });
      const request = chargeFor("cus_bank");
      const outcome = await provider.charge(request);
      assert.equal(outcome.status, "PENDING");
      return { fake, provider, request, intentId: outcome.providerReference! };
    }

    /** Awaits parseWebhook's refusal; returns the error. */
    function refused(run: () => unknown): WebhookSignatureError {
      try {
        run();
      } catch (error) {
        assert.ok(error instanceof WebhookSignatureError, `expected WebhookSignatureError, got ${String(error)}`);
        texts.push(error.message);
        return error;
      }
      return assert.fail("expected WebhookSignatureError, the delivery was accepted");
    }

    test("a signed payment_intent.succeeded finishes our charge", async () => {
      const { fake, provider, request, intentId } = await pendingCharge();
      const delivery = fake.settle(intentId, "succeeded");
      assert.deepEqual(provider.parseWebhook(delivery.body, delivery.signature), {
        eventId: delivery.event.id,
        chargeId: request.chargeId,
        providerReference: intentId,
        outcome: { status: "SUCCEEDED" },
      });
    });

    test("a signed payment_intent.payment_failed fails our charge with Stripe's error code and message", async () => {
      const { fake, provider, request, intentId } = await pendingCharge();
      const delivery = fake.settle(intentId, { declineCode: "insufficient_funds" });
      assert.deepEqual(provider.parseWebhook(delivery.body, delivery.signature), {
        eventId: delivery.event.id,
        chargeId: request.chargeId,
        providerReference: intentId,
        outcome: { status: "FAILED", reason: "card_declined (insufficient_funds): Your card has insufficient funds." },
      });
    });

    test("a forged signature, a stale timestamp, a modified body and a missing header are refused", async () => {
      const { fake, provider, intentId } = await pendingCharge();
      const delivery = fake.settle(intentId, "succeeded");

      const forged = refused(() => provider.parseWebhook(delivery.body, signWebhookBody(delivery.body, "whsec_not_the_secret")));
      assert.match(forged.message, /No signatures found matching the expected signature/);

      const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
      const stale = refused(() => provider.parseWebhook(delivery.body, signWebhookBody(delivery.body, fake.webhookSecret, tenMinutesAgo)));
      assert.match(stale.message, /tolerance/);
      // Four minutes old is within Stripe's default five.
      const fourMinutesAgo = Math.floor(Date.now() / 1000) - 240;
      assert.ok(provider.parseWebhook(delivery.body, signWebhookBody(delivery.body, fake.webhookSecret, fourMinutesAgo)));

      const tampered = delivery.body.replace('"status": "succeeded"', '"status": "canceled"');
      assert.notEqual(tampered, delivery.body);
      refused(() => provider.parseWebhook(tampered, delivery.signature));

      refused(() => provider.parseWebhook(delivery.body, null));
      refused(() => provider.parseWebhook(delivery.body, ""));
      refused(() => provider.parseWebhook(delivery.body, "t=1,v0=abc"));
    });

    test("events of other types, or about PaymentIntents that are not our charges, are null", async () => {
      const { fake, provider, intentId } = await pendingCharge();
      const intent = fake.state.paymentIntents.get(intentId)!;
      const other = signedWebhook(stripeEvent("charge.succeeded", { id: "ch_1", object: "charge", metadata: { chargeId: "chg_x" } }), fake.webhookSecret);
      assert.equal(provider.parseWebhook(other.body, other.signature), null);
      const created = signedWebhook(stripeEvent("payment_intent.created", structuredClone(intent)), fake.webhookSecret);
      assert.equal(provider.parseWebhook(created.body, created.signature), null);
      const foreign = signedWebhook(stripeEvent("payment_intent.succeeded", { ...structuredClone(intent), metadata: {} }), fake.webhookSecret);
      assert.equal(provider.parseWebhook(foreign.body, foreign.signature), null);
    });
  });
});

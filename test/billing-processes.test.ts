import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { createPrismaClient } from "../src/db/client.ts";
import { startFakeStripe, type FakeStripe } from "./helpers/fake-stripe.ts";
import { createScratchDatabase, organizationKeyFromCli, processEnvironment, testTarget } from "./helpers/harness.ts";
import { post, runCli, type ServerProcess, startServerProcess, waitFor } from "./helpers/processes.ts";

// The billing job as it runs in production: server processes of their own charging through the
// Stripe provider, against a local Stripe-shaped server (test/helpers/fake-stripe.ts) that keeps
// its PaymentIntents and idempotency keys across the servers' deaths.

function stripeEnv(stripe: FakeStripe): Record<string, string> {
  return {
    PAYMENT_PROVIDER: "stripe",
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    STRIPE_API_BASE_URL: stripe.url,
    BILLING_POLL_SECONDS: "0.2",
    // A claimed charge is another instance's for PAYMENT_TIMEOUT_MS x 2 + 1 s; an unknown outcome is retried after 1 s.
    PAYMENT_TIMEOUT_MS: "2000",
    BILLING_UNAVAILABLE_RETRY_SECONDS: "1",
    ORDER_POLL_SECONDS: "3600",
  };
}

describe("the billing job in server processes", () => {
  const servers: ServerProcess[] = [];
  const stripes: FakeStripe[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    for (const stripe of stripes) await stripe.close();
  });

  test(`kill -9 between Stripe's charge and our write (${testTarget()} database): one PaymentIntent, one SUCCEEDED charge after the restart`, { timeout: 120_000 }, async () => {
    const stripe = await startFakeStripe();
    stripes.push(stripe);
    stripe.addCustomer("cus_crash");
    const env = await processEnvironment("switchboard-billing-crash", { ...stripeEnv(stripe), BILLING_MANUAL_FEE_CENTS: "500" });
    const key = await organizationKeyFromCli("billing-crash", env);

    const doomed = await startServerProcess({ ...env, BILLING_FAULTS: "crash-after-charge" });
    servers.push(doomed);
    const account = await post(doomed.url, key, `mutation { updateBillingAccount(input: { providerCustomerId: "cus_crash", providerPaymentMethodId: "pm_card_visa" }) { __typename } }`);
    assert.equal(account.body.data.updateBillingAccount.__typename, "UpdateBillingAccountSuccess");
    // A manual number costs the platform fee: its first month is due at once, and the job charges it.
    // The job may do so (and the server die) before this answer is sent, when its run at start is
    // still going: the answer is not needed, the number's id is read after the restart.
    await post(doomed.url, key, `mutation { createManualPhoneNumber(input: { e164: "+14155550177" }) { __typename } }`).catch(() => undefined);
    await new Promise((resolve) => (doomed.child.exitCode !== null || doomed.child.signalCode ? resolve(null) : doomed.child.once("exit", resolve)));
    assert.equal(doomed.child.signalCode, "SIGKILL", "the server died right after Stripe charged");
    assert.equal(stripe.state.paymentIntents.size, 1, "Stripe charged before the crash");
    const [intent] = [...stripe.state.paymentIntents.values()];

    const restarted = await startServerProcess(env);
    servers.push(restarted);
    const numbers = await post(restarted.url, key, `{ phoneNumbers(filter: { text: "4155550177" }) { edges { node { id } } } }`);
    const numberId = numbers.body.data.phoneNumbers.edges[0].node.id as string;
    const charges = await waitFor(
      "the interrupted charge to be finished",
      async () => (await post(restarted.url, key, `{ charges(first: 10) { edges { node { status amountCents attempts providerReference phoneNumber { id } } } } }`)).body.data.charges.edges.map((e: { node: unknown }) => e.node),
      (list: Array<{ status: string }>) => list.length === 1 && list[0]!.status === "SUCCEEDED",
    );
    assert.deepEqual(charges, [{ status: "SUCCEEDED", amountCents: 500, attempts: 2, providerReference: (intent as { id: string }).id, phoneNumber: { id: numberId } }]);
    assert.equal(stripe.state.paymentIntents.size, 1, "the retry did not charge again");
    const creates = stripe.requestsTo("POST", "/v1/payment_intents");
    assert.equal(creates.length, 2);
    assert.equal(new Set(creates.map((r) => r.idempotencyKey)).size, 1, "the same idempotency key both times");
    assert.equal(creates[1]!.replayed, true, "Stripe replayed its first answer");
  });

  test(`a PaymentIntent Stripe settles later is finished by Stripe's signed webhook (${testTarget()} database)`, { timeout: 120_000 }, async () => {
    const stripe = await startFakeStripe();
    stripes.push(stripe);
    stripe.addCustomer("cus_slow", { kind: "processing" });
    const env = await processEnvironment("switchboard-billing-webhook", { ...stripeEnv(stripe), BILLING_SIP_TRUNK_FEE_CENTS: "300" });
    const key = await organizationKeyFromCli("billing-webhook", env);
    const server = await startServerProcess(env);
    servers.push(server);
    await post(server.url, key, `mutation { updateBillingAccount(input: { providerCustomerId: "cus_slow", providerPaymentMethodId: "pm_card_visa" }) { __typename } }`);
    await post(server.url, key, `mutation { importSipTrunkPhoneNumber(input: { e164: "+14155550178", direction: INBOUND, inboundTrunk: { allowedSourceIps: ["203.0.113.0/24"], authUsername: "trunk", authPassword: "correct-horse-battery" } }) { __typename } }`);
    const read = async () => (await post(server.url, key, `{ charges(first: 5) { edges { node { status amountCents providerReference nextAttemptAt } } } }`)).body.data.charges.edges.map((e: { node: unknown }) => e.node) as Array<{ status: string; providerReference: string | null; nextAttemptAt: string | null }>;
    const [pending] = await waitFor("the charge to reach Stripe", read, (list) => list.length === 1 && list[0]!.providerReference !== null);
    assert.deepEqual([pending!.status, pending!.nextAttemptAt], ["PENDING", null], "processing at Stripe: awaiting its webhook");
    const delivery = stripe.settle(pending!.providerReference!, "succeeded");
    const deliver = (body: string, signature: string) => fetch(`${server.url}/webhooks/payments/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": signature }, body });
    assert.equal((await deliver(delivery.body.replace('"succeeded"', '"canceled"'), delivery.signature)).status, 401, "a modified body is refused");
    assert.equal((await read())[0]!.status, "PENDING");
    const accepted = await deliver(delivery.body, delivery.signature);
    assert.deepEqual([accepted.status, await accepted.json()], [200, { status: "APPLIED" }]);
    assert.deepEqual((await read()).map((c) => c.status), ["SUCCEEDED"]);
    const again = await deliver(delivery.body, delivery.signature);
    assert.deepEqual(await again.json(), { status: "ALREADY_APPLIED" });
  });

  const databaseUrl = process.env.TEST_DATABASE_URL;
  test(
    "two server processes on one PostgreSQL charge 300 due numbers at the same moment: each exactly once, ledger and Stripe agree",
    { timeout: 180_000, skip: databaseUrl ? false : "skipped: set TEST_DATABASE_URL (two processes share one PostgreSQL server)" },
    async () => {
      const stripe = await startFakeStripe();
      stripes.push(stripe);
      stripe.addCustomer("cus_two");
      const url = await createScratchDatabase("switchboard_billing_two");
      const dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-billing-two-"));
      const env = { ...stripeEnv(stripe), DATABASE_URL: url, DATA_DIR: dataDir, ENCRYPTION_KEY: randomBytes(32).toString("hex"), SEED_DEMO: "false" };
      const migrated = await runCli(["migrate"], env);
      assert.equal(migrated.code, 0, migrated.stderr);
      const key = await organizationKeyFromCli("billing-two", env);
      const prisma = createPrismaClient(url, 1);
      try {
        const organization = await prisma.organization.findFirstOrThrow({ where: { name: "billing-two" } });
        await prisma.billingAccount.create({ data: { organizationId: organization.id, providerCustomerId: "cus_two", providerPaymentMethodId: "pm_card_visa" } });
        const due = new Date(Date.now() - 60_000);
        await prisma.phoneNumber.createMany({
          data: Array.from({ length: 300 }, (_, i) => ({
            organizationId: organization.id,
            e164: `+1303555${String(i).padStart(4, "0")}`,
            country: "US",
            source: "MANAGED" as const,
            carrier: "sandbox",
            status: "ACTIVE" as const,
            monthlyPriceCents: 125,
            activatedAt: due,
            nextChargeAt: due,
          })),
        });
        // Both start with every number due; each runs its job at start and every 0.2 s.
        const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
        servers.push(a, b);
        await waitFor(
          "every charge to succeed",
          () => prisma.charge.count({ where: { organizationId: organization.id, status: "SUCCEEDED" } }),
          (count) => count === 300,
        );
        const rows = await prisma.charge.findMany({ where: { organizationId: organization.id } });
        assert.equal(rows.length, 300, "one charge per number and period");
        // (A call that timed out on a busy machine is sent again with its key: attempts may be 2, PaymentIntents never.)
        assert.ok(rows.every((row) => row.amountCents === 125 && row.attempts >= 1 && row.providerReference?.startsWith("pi_")));
        const intents = [...stripe.state.paymentIntents.values()];
        assert.equal(intents.length, 300, "one PaymentIntent per charge at Stripe");
        assert.deepEqual(new Set(intents.map((i) => i.metadata.chargeId)), new Set(rows.map((row) => row.id)));
        assert.deepEqual(new Set(intents.map((i) => i.id)), new Set(rows.map((row) => row.providerReference)));
        const keys = stripe.requestsTo("POST", "/v1/payment_intents").map((r) => r.idempotencyKey);
        assert.equal(new Set(keys).size, 300, "one idempotency key per charge");
        // Which instance charged what (both usually take part; the guarantee does not depend on it).
        const chargedBy = (server: ServerProcess) =>
          server
            .stdout()
            .split("\n")
            .filter((line) => line.includes('"job":"billing"'))
            .reduce((sum, line) => sum + ((JSON.parse(line) as { charged?: number }).charged ?? 0), 0);
        console.log(`  charged by instance A: ${chargedBy(a)}, by instance B: ${chargedBy(b)}`);
        // What a client sees.
        const total = await post(a.url, key, `{ charges(first: 1, filter: { statuses: [SUCCEEDED] }) { totalCount } billingSummary { numbersCharged monthlyTotalCents } }`);
        assert.deepEqual(total.body.data, { charges: { totalCount: 300 }, billingSummary: { numbersCharged: 300, monthlyTotalCents: 37_500 } });
      } finally {
        await prisma.$disconnect();
      }
    },
  );
});

import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { parse } from "graphql";
import { addMonths, periodAt } from "../src/billing/periods.ts";
import { createOrganization, getEnvironment, sendRaw, type TestOrganization } from "./helpers/harness.ts";
import { registerEmergencyAddress } from "./helpers/emergency.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";

// Monthly billing (src/billing/) through the API, with the billing clock moved forward instead of
// sleeping and the billing job run by hand. The payment provider is the sandbox, switched to
// decline, to be unreachable or to lose its answer.

const DAY = 86_400_000;
const HOUR = 3_600_000;

const send = async (secret: string, query: string, variables?: unknown) => (await sendRaw(secret, query, variables)).body;
const rowId = (globalId: string) => decodeGlobalID(globalId).id;

async function services() {
  return (await getEnvironment()).switchboard.services;
}

/** Moves the billing clock forward and runs the billing job once, as every instance's job would. */
async function after(ms: number) {
  const { clock, billing } = await services();
  clock.advance(ms);
  return billing.runDue();
}

async function buy(org: TestOrganization, areaCode = "303"): Promise<string> {
  const body = await send(org.secret, `mutation($areaCode: String) { provisionPhoneNumber(input: { areaCode: $areaCode }) { __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { id status } } ... on Error { message } } }`, { areaCode });
  assert.equal(body.data?.provisionPhoneNumber.__typename, "ProvisionPhoneNumberSuccess", JSON.stringify(body));
  assert.equal(body.data.provisionPhoneNumber.phoneNumber.status, "ACTIVE");
  return body.data.provisionPhoneNumber.phoneNumber.id as string;
}

interface ChargeView {
  kind: string;
  period: number;
  amountCents: number;
  currency: string;
  status: string;
  attempts: number;
  failureReason: string | null;
  providerReference: string | null;
  phoneNumber: { id: string };
}

async function charges(org: TestOrganization, filter: Record<string, unknown> = {}): Promise<ChargeView[]> {
  const body = await send(org.secret, `query($filter: ChargeFilter) { charges(first: 100, filter: $filter) { totalCount edges { node { kind period amountCents currency status attempts failureReason providerReference phoneNumber { id } } } } }`, { filter });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.charges.edges.map((e: { node: ChargeView }) => e.node);
}

const summarize = (list: ChargeView[]) => list.map((c) => `${c.kind}:${c.period}:${c.amountCents}:${c.status}`).sort();

async function numberState(org: TestOrganization, id: string) {
  const body = await send(org.secret, `query($id: ID!) { node(id: $id) { ... on PhoneNumber { status setupStatus { status issues { code } } billing { nextChargeAt lastChargeAt suspendedAt activatedAt } } } }`, { id });
  return body.data.node as { status: string; setupStatus: { status: string; issues: Array<{ code: string }> }; billing: { nextChargeAt: string | null; lastChargeAt: string | null; suspendedAt: string | null; activatedAt: string | null } };
}

describe("monthly billing", () => {
  afterEach(async () => {
    const { payments } = await services();
    Object.assign(payments.sandbox.switches, { declineNext: 0, unavailableNext: 0, loseAnswerNext: 0, pendingNext: 0 });
    payments.sandbox.switches.declineOrganizations.clear();
  });

  test("months of activity: upfront and monthly charges, the plan, a release mid-period, a decline and recovery, suspension past the grace period, reactivation", async () => {
    const { payments, billing } = await services();
    await billing.runDue(); // whatever other tests left due is charged first
    const org = await createOrganization("billing-months");
    const account = await send(org.secret, `mutation { updateBillingAccount(input: { planName: "Starter", includedNumbers: 1, currency: "usd", providerCustomerId: "cus_123" }) { __typename ... on UpdateBillingAccountSuccess { billingAccount { planName includedNumbers currency providerCustomerId } } } }`);
    assert.deepEqual(account.data.updateBillingAccount.billingAccount, { planName: "Starter", includedNumbers: 1, currency: "USD", providerCustomerId: "cus_123" });

    // Three bought numbers (the sandbox prices each at 100 cents upfront and 100 a month) and a manual one (no platform fee).
    const [first, second, third] = [await buy(org), await buy(org), await buy(org)];
    const manual = await send(org.secret, `mutation { createManualPhoneNumber(input: { e164: "+1415555${String(Math.floor(Math.random() * 9000) + 1000)}" }) { ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } } }`);
    const manualId = manual.data.createManualPhoneNumber.phoneNumber.id as string;

    await after(0);
    // The first bought number is the plan's: its month costs 0; everyone bought pays upfront.
    const month0 = await charges(org);
    assert.deepEqual(summarize(month0.filter((c) => c.phoneNumber.id === first)), ["MONTHLY:0:0:SUCCEEDED", "UPFRONT:0:100:SUCCEEDED"]);
    assert.deepEqual(summarize(month0.filter((c) => c.phoneNumber.id === second)), ["MONTHLY:0:100:SUCCEEDED", "UPFRONT:0:100:SUCCEEDED"]);
    assert.deepEqual(summarize(month0.filter((c) => c.phoneNumber.id === manualId)), ["MONTHLY:0:0:SUCCEEDED"]);
    assert.ok(month0.every((c) => c.currency === "USD"));
    const paid = () => payments.sandbox.succeeded().filter((p) => p.request.organizationId === org.id);
    assert.equal(paid().length, 5, "3 upfront + 2 monthly; zero charges never reach the provider");
    assert.ok(paid().every((p) => p.request.customerId === "cus_123" && Number.isInteger(p.request.amountCents)));
    const state = await numberState(org, second);
    const activatedAt = new Date(state.billing.activatedAt!);
    assert.equal(state.billing.nextChargeAt, addMonths(activatedAt, 1).toISOString());
    assert.ok(state.billing.lastChargeAt);

    // Running again charges nothing more: each period once.
    await after(HOUR);
    assert.equal((await charges(org)).length, 7);
    assert.equal(paid().length, 5);

    // A month later: each number's second month, no second upfront charge.
    await after(31 * DAY);
    const month1 = (await charges(org)).filter((c) => c.period === 1);
    assert.deepEqual(summarize(month1), ["MONTHLY:1:0:SUCCEEDED", "MONTHLY:1:0:SUCCEEDED", "MONTHLY:1:100:SUCCEEDED", "MONTHLY:1:100:SUCCEEDED"]);

    // The third number is released mid-period: nothing more is charged for it.
    const released = await send(org.secret, `mutation($id: ID!) { releasePhoneNumber(input: { id: $id }) { __typename } }`, { id: third });
    assert.equal(released.data.releasePhoneNumber.__typename, "ReleasePhoneNumberSuccess");
    assert.equal((await numberState(org, third)).billing.nextChargeAt, null);
    await after(31 * DAY);
    assert.equal((await charges(org)).filter((c) => c.phoneNumber.id === third && c.period === 2).length, 0);

    // A decline, then recovery at the first retry (an hour later, with a fresh idempotency key).
    payments.sandbox.switches.declineOrganizations.add(org.id);
    await after(31 * DAY);
    const declined = (await charges(org, { statuses: ["FAILED"] }))[0]!;
    assert.equal(declined.phoneNumber.id, second);
    assert.match(declined.failureReason!, /insufficient_funds/);
    payments.sandbox.switches.declineOrganizations.delete(org.id);
    await after(2 * HOUR);
    assert.equal((await charges(org, { statuses: ["FAILED"] })).length, 0);
    const recovered = (await charges(org)).find((c) => c.phoneNumber.id === second && c.period === 3)!;
    assert.deepEqual([recovered.status, recovered.attempts], ["SUCCEEDED", 2]);
    const { prisma } = (await getEnvironment()).switchboard.database;
    const chargeId = (await prisma.charge.findFirstOrThrow({ where: { phoneNumberId: rowId(second), kind: "MONTHLY", period: 3 } })).id;
    const keys = [...payments.sandbox.payments.keys()].filter((key) => key.startsWith(chargeId));
    assert.equal(keys.length, 2, "the retry after a decline used a new idempotency key");
    assert.equal((await numberState(org, second)).status, "ACTIVE");

    // Declines past the grace period (7 days): the number is SUSPENDED, its setup status says so.
    payments.sandbox.switches.declineOrganizations.add(org.id);
    await after(31 * DAY); // first decline
    await after(2 * HOUR); // retry 1
    await after(2 * DAY); // retry 2
    assert.equal((await numberState(org, second)).status, "ACTIVE", "still within the grace period");
    await after(4 * DAY); // retry 3, and 7 days have passed
    await after(DAY);
    const suspended = await numberState(org, second);
    assert.equal(suspended.status, "SUSPENDED");
    assert.equal(suspended.setupStatus.status, "SUSPENDED");
    assert.ok(suspended.setupStatus.issues.some((issue) => issue.code === "SUSPENDED_FOR_NONPAYMENT"), "it says why");
    assert.ok(suspended.billing.suspendedAt);
    const events = await prisma.event.findMany({ where: { phoneNumberId: rowId(second), type: "SETUP_STATUS_CHANGED" }, orderBy: { createdAt: "desc" }, take: 1 });
    assert.equal((events[0]!.payload as { current: { status: string } }).current.status, "SUSPENDED", "subscribers are told");
    // The plan's number was never declined: it costs nothing.
    assert.equal((await numberState(org, first)).status, "ACTIVE");

    // An admin reactivates it: ACTIVE at once, the unpaid charge retried now (and paid: declines stopped).
    payments.sandbox.switches.declineOrganizations.delete(org.id);
    const reactivated = await send(org.secret, `mutation($id: ID!) { reactivatePhoneNumber(input: { id: $id }) { __typename ... on ReactivatePhoneNumberSuccess { phoneNumber { status setupStatus { status } } } } }`, { id: second });
    assert.equal(reactivated.data.reactivatePhoneNumber.phoneNumber.status, "ACTIVE");
    // Not SUSPENDED any more (it has no agent, so it asks for one).
    assert.equal(reactivated.data.reactivatePhoneNumber.phoneNumber.setupStatus.status, "ACTION_REQUIRED");
    await after(0);
    assert.equal((await charges(org, { statuses: ["FAILED"] })).length, 0);
    assert.equal((await numberState(org, second)).status, "ACTIVE");

    // The summary: plan usage, monthly cost by source, nothing failed.
    const summary = (await send(org.secret, `{ billingSummary { currency planName includedNumbers numbersIncluded numbersCharged monthlyTotalCents bySource { source numbers monthlyCents } failedCharges upcomingCharges } }`)).data.billingSummary;
    assert.deepEqual(
      { ...summary, bySource: [...summary.bySource].sort((a: { source: string }, b: { source: string }) => a.source.localeCompare(b.source)) },
      {
        currency: "USD",
        planName: "Starter",
        includedNumbers: 1,
        numbersIncluded: 2,
        numbersCharged: 1,
        monthlyTotalCents: 100,
        bySource: [{ source: "MANAGED", numbers: 2, monthlyCents: 100 }, { source: "MANUAL", numbers: 1, monthlyCents: 0 }],
        failedCharges: 0,
        upcomingCharges: 3,
      },
    );
  });

  test("a suspended number comes back by itself when a later retry of its charge succeeds", async () => {
    const { payments, billing } = await services();
    await billing.runDue();
    const org = await createOrganization("billing-recovery");
    const id = await buy(org);
    // Outbound-ready before the story starts: a US number needs its emergency address.
    await registerEmergencyAddress(org.client, id);
    // A dashboard watching the number over graphql-ws.
    const client = wsClient(await (await getEnvironment()).url(), { apiKey: org.secret });
    const events = await subscribe(
      client,
      parse(`subscription($id: ID) { phoneNumberSetupStatusChanged(phoneNumberId: $id) { previous { status } current { status inboundReady outboundReady issues { code message } } } }`) as never,
      { id } as never,
    );
    type Change = { phoneNumberSetupStatusChanged: { previous: { status: string } | null; current: { status: string; inboundReady: boolean; outboundReady: boolean; issues: Array<{ code: string; message: string }> } } };
    try {
      payments.sandbox.switches.declineOrganizations.add(org.id);
      await after(0); // declined: upfront and month 0
      for (const wait of [2 * HOUR, 2 * DAY, 4 * DAY, DAY]) await after(wait);
      assert.equal((await numberState(org, id)).status, "SUSPENDED");
      const suspension = ((await events.next()).data as Change).phoneNumberSetupStatusChanged;
      assert.equal(suspension.current.status, "SUSPENDED");
      assert.deepEqual([suspension.current.inboundReady, suspension.current.outboundReady], [false, false]);
      const why = suspension.current.issues.find((issue) => issue.code === "SUSPENDED_FOR_NONPAYMENT");
      assert.match(why!.message, /^Suspended since \d{4}-\d\d-\d\dT/, "it says since when");
      payments.sandbox.switches.declineOrganizations.delete(org.id);
      await after(7 * DAY); // the last scheduled retry (7 days after the third)
      const back = ((await events.next()).data as Change).phoneNumberSetupStatusChanged;
      assert.deepEqual([back.previous?.status, back.current.outboundReady], ["SUSPENDED", true]);
    } finally {
      await events.close();
      await client.dispose();
    }
    const state = await numberState(org, id);
    assert.deepEqual([state.status, state.billing.suspendedAt], ["ACTIVE", null]);
    assert.deepEqual(summarize((await charges(org)).filter((c) => c.period === 0)), ["MONTHLY:0:100:SUCCEEDED", "UPFRONT:0:100:SUCCEEDED"]);
  });

  test("a lost answer or an unreachable provider is retried with the same key: charged once", async () => {
    const { payments, billing } = await services();
    await billing.runDue();
    const org = await createOrganization("billing-lost-answer");
    await buy(org);
    payments.sandbox.switches.loseAnswerNext = 1;
    payments.sandbox.switches.unavailableNext = 1;
    await after(0);
    assert.equal((await charges(org, { statuses: ["PENDING"] })).length, 2, "outcome unknown: still pending");
    await after(6 * 60_000);
    const list = await charges(org);
    assert.deepEqual(summarize(list), ["MONTHLY:0:100:SUCCEEDED", "UPFRONT:0:100:SUCCEEDED"]);
    const mine = [...payments.sandbox.payments.values()].filter((p) => p.request.organizationId === org.id);
    assert.equal(mine.length, 2, "one payment per charge");
    assert.ok(mine.some((p) => p.requests === 2), "the lost answer's key was sent again");
  });

  test("a charge the provider settles later is finished by its signed webhook, once; forged deliveries change nothing", async () => {
    const { payments, billing } = await services();
    const env = await getEnvironment();
    await billing.runDue();
    const org = await createOrganization("billing-webhook");
    await buy(org);
    payments.sandbox.switches.pendingNext = 2;
    await after(0);
    const pending = await env.switchboard.database.prisma.charge.findMany({ where: { organizationId: org.id }, orderBy: { kind: "asc" } });
    assert.deepEqual(pending.map((c) => [c.status, c.nextAttemptAt]), [["PENDING", null], ["PENDING", null]], "awaiting the webhook, not retried");
    const url = `${await env.url()}/webhooks/payments/sandbox`;
    const deliver = (body: string, signature: string) => fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-sandbox-payments-signature": signature }, body });
    const [upfront, monthly] = pending as [(typeof pending)[number], (typeof pending)[number]];
    const succeeded = payments.sandbox.signedWebhook({ eventId: `evt_${upfront.id}`, chargeId: upfront.id, providerReference: upfront.providerReference!, outcome: { status: "SUCCEEDED" } });
    const forged = await deliver(succeeded.body.replace("SUCCEEDED", "FAILED"), succeeded.signature);
    assert.equal(forged.status, 401);
    assert.equal((await deliver(succeeded.body, "00".repeat(32))).status, 401);
    assert.equal((await env.switchboard.database.prisma.charge.findUniqueOrThrow({ where: { id: upfront.id } })).status, "PENDING");
    const first = await deliver(succeeded.body, succeeded.signature);
    assert.deepEqual([first.status, await first.json()], [200, { status: "APPLIED" }]);
    const again = await deliver(succeeded.body, succeeded.signature);
    assert.deepEqual([again.status, await again.json()], [200, { status: "ALREADY_APPLIED" }]);
    const failed = payments.sandbox.signedWebhook({ eventId: `evt_${monthly.id}`, chargeId: monthly.id, providerReference: monthly.providerReference!, outcome: { status: "FAILED", reason: "card_declined: do not honor" } });
    assert.equal((await deliver(failed.body, failed.signature)).status, 200);
    assert.deepEqual(summarize(await charges(org)), ["MONTHLY:0:100:FAILED", "UPFRONT:0:100:SUCCEEDED"]);
    assert.equal((await charges(org, { statuses: ["FAILED"] }))[0]!.failureReason, "card_declined: do not honor");
  });

  test("two billing runs at once over many due numbers charge each period exactly once", async () => {
    const { payments, billing } = await services();
    const { prisma } = (await getEnvironment()).switchboard.database;
    await billing.runDue();
    const org = await createOrganization("billing-race");
    const now = (await services()).clock.now();
    await prisma.phoneNumber.createMany({
      data: Array.from({ length: 250 }, (_, i) => ({
        organizationId: org.id,
        e164: `+1720${String(Math.floor(Math.random() * 900) + 100)}${String(i).padStart(4, "0")}`,
        country: "US",
        source: "MANAGED" as const,
        carrier: "sandbox",
        status: "ACTIVE" as const,
        monthlyPriceCents: 250,
        activatedAt: now,
        nextChargeAt: now,
      })),
    });
    const runs = await Promise.all([billing.runDue(), billing.runDue(), billing.runDue()]);
    assert.equal(runs.reduce((sum, run) => sum + run.scheduled, 0) >= 250, true);
    const rows = await prisma.charge.findMany({ where: { organizationId: org.id } });
    assert.equal(rows.length, 250);
    assert.ok(rows.every((row) => row.status === "SUCCEEDED" && row.amountCents === 250 && row.attempts === 1));
    const mine = payments.sandbox.succeeded().filter((p) => p.request.organizationId === org.id);
    assert.equal(mine.length, 250);
    assert.ok(mine.every((p) => p.requests === 1), "no charge was sent twice");
  });

  test("an admin's price override is charged from the next period; moving nextChargeAt back never charges a period twice", async () => {
    const { billing } = await services();
    await billing.runDue();
    const org = await createOrganization("billing-override");
    const id = await buy(org);
    await after(0);
    const changed = await send(org.secret, `mutation($id: ID!) { updatePhoneNumber(input: { id: $id, billing: { monthlyPriceCents: 999, nextChargeAt: "2020-01-01T00:00:00.000Z" } }) { __typename ... on UpdatePhoneNumberSuccess { phoneNumber { billing { monthlyPriceCents } } } } }`, { id });
    assert.equal(changed.data.updatePhoneNumber.phoneNumber.billing.monthlyPriceCents, 999);
    await after(0);
    await after(0);
    // Period 0 was charged at the old price and is not charged again; the next month costs 999.
    assert.deepEqual(summarize(await charges(org)), ["MONTHLY:0:100:SUCCEEDED", "UPFRONT:0:100:SUCCEEDED"]);
    await after(32 * DAY);
    assert.deepEqual(summarize((await charges(org)).filter((c) => c.period === 1)), ["MONTHLY:1:999:SUCCEEDED"]);
    const bad = await send(org.secret, `mutation($id: ID!) { updatePhoneNumber(input: { id: $id, billing: { monthlyPriceCents: -5, upfrontPriceCents: 20000000 } }) { __typename ... on ValidationError { fieldErrors { path } } } }`, { id });
    assert.deepEqual(bad.data.updatePhoneNumber.fieldErrors.map((e: { path: string[] }) => e.path.join(".")).sort(), ["input.billing.monthlyPriceCents", "input.billing.upfrontPriceCents"]);
  });

  test("billing needs its scopes, and bad input is a ValidationError with paths", async () => {
    const org = await createOrganization("billing-input");
    const bad = await send(org.secret, `mutation { updateBillingAccount(input: { includedNumbers: -1, currency: "XYZ", planName: "  ", providerCustomerId: "cus 1" }) { __typename ... on ValidationError { fieldErrors { path code } } } }`);
    assert.equal(bad.data.updateBillingAccount.__typename, "ValidationError");
    assert.deepEqual(
      bad.data.updateBillingAccount.fieldErrors.map((e: { path: string[] }) => e.path.join(".")).sort(),
      ["input.currency", "input.includedNumbers", "input.planName", "input.providerCustomerId"],
    );
    const reader = await org.clientWithScopes(["numbers:read"]);
    const secret = reader.headers["x-api-key"]!;
    // Root fields are non-null: the first refusal nulls the response and ends it.
    const refused = await sendRaw(secret, `{ charges(first: 1) { totalCount } billingAccount { planName } }`);
    assert.deepEqual(refused.body.errors?.map((e) => [e.extensions?.code, e.extensions?.requiredScopes]), [["FORBIDDEN", ["billing:read"]]]);
    assert.equal(refused.body.data ?? null, null);
    const billingReader = (await org.clientWithScopes(["billing:read"])).headers["x-api-key"]!;
    const write = await sendRaw(billingReader, `mutation { updateBillingAccount(input: { includedNumbers: 2 }) { __typename } }`);
    assert.equal(write.body.errors?.[0]?.extensions?.code, "FORBIDDEN");
  });
});

test("billing periods are calendar months from activation, clamped to the month's last day", () => {
  const anchor = new Date("2026-01-31T10:00:00.000Z");
  assert.equal(addMonths(anchor, 1).toISOString(), "2026-02-28T10:00:00.000Z");
  assert.equal(addMonths(anchor, 2).toISOString(), "2026-03-31T10:00:00.000Z");
  assert.equal(addMonths(anchor, 13).toISOString(), "2027-02-28T10:00:00.000Z");
  assert.deepEqual(periodAt(anchor, new Date("2026-03-01T00:00:00.000Z")), { index: 1, start: new Date("2026-02-28T10:00:00.000Z"), end: new Date("2026-03-31T10:00:00.000Z") });
  assert.equal(periodAt(anchor, anchor).index, 0);
  assert.equal(periodAt(anchor, new Date("2026-02-28T09:59:59.999Z")).index, 0);
});

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { SecretBox } from "../src/domain/secret-box.ts";
import { createLogger } from "../src/logger.ts";
import { ValidationError } from "../src/domain/errors.ts";
import { WebhookDeliverer } from "../src/webhooks/deliverer.ts";
import { WebhookEndpoints } from "../src/webhooks/service.ts";
import { checkTarget, UnsafeWebhookTarget } from "../src/webhooks/url-guard.ts";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { verifySwitchboardWebhook } from "./helpers/verify-webhook.mjs";

const CreateEndpoint = graphql(`
  mutation WebhooksTestCreateEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on CreateWebhookEndpointSuccess {
        secret
        webhookEndpoint {
          id
          url
          eventTypes
          enabled
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
    }
  }
`);

const UpdateEndpoint = graphql(`
  mutation WebhooksTestUpdateEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      __typename
      ... on UpdateWebhookEndpointSuccess {
        webhookEndpoint {
          id
          enabled
          disabledReason
          eventTypes
        }
      }
    }
  }
`);

const DeleteEndpoint = graphql(`
  mutation WebhooksTestDeleteEndpoint($input: DeleteWebhookEndpointInput!) {
    deleteWebhookEndpoint(input: $input) {
      __typename
    }
  }
`);

const RotateSecret = graphql(`
  mutation WebhooksTestRotateSecret($input: RotateWebhookSecretInput!) {
    rotateWebhookSecret(input: $input) {
      __typename
      ... on RotateWebhookSecretSuccess {
        secret
        webhookEndpoint {
          previousSecretExpiresAt
        }
      }
    }
  }
`);

const Redeliver = graphql(`
  mutation WebhooksTestRedeliver($input: RedeliverEventInput!) {
    redeliverEvent(input: $input) {
      __typename
      ... on RedeliverEventSuccess {
        delivery {
          eventId
          status
          attempts
        }
      }
      ... on NotFoundError {
        message
      }
    }
  }
`);

const Endpoints = graphql(`
  query WebhooksTestEndpoints {
    webhookEndpoints(first: 10) {
      totalCount
      edges {
        node {
          id
          url
          enabled
          disabledReason
          disabledAt
          failingSince
          deliveries(first: 50) {
            totalCount
            edges {
              node {
                eventId
                eventType
                phoneNumberId
                status
                attempts
                lastResponseStatus
                latencyMs
                error
                lastAttemptAt
                nextRetryAt
                deliveredAt
              }
            }
          }
        }
      }
    }
  }
`);

const CreateNumber = graphql(`
  mutation WebhooksTestCreateNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
        }
      }
    }
  }
`);

const CreateAgent = graphql(`
  mutation WebhooksTestCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
        }
      }
    }
  }
`);

const AssignNumber = graphql(`
  mutation WebhooksTestAssign($input: AssignPhoneNumberInput!) {
    assignPhoneNumber(input: $input) {
      __typename
    }
  }
`);

const ReleaseNumber = graphql(`
  mutation WebhooksTestRelease($input: ReleasePhoneNumberInput!) {
    releasePhoneNumber(input: $input) {
      __typename
    }
  }
`);

/** Runs the deliverer (as its job would) until a run finds nothing more to do now. */
async function deliverNow(): Promise<void> {
  const env = await getEnvironment();
  for (let i = 0; i < 20; i++) {
    const run = await env.switchboard.services.webhookDeliverer.run();
    if (run.queued + run.delivered + run.retrying + run.failed === 0) return;
  }
}

async function waitFor(done: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await deliverNow();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function advanceClock(ms: number): Promise<void> {
  (await getEnvironment()).switchboard.services.clock.advance(ms);
}

async function now(): Promise<Date> {
  return (await getEnvironment()).switchboard.services.clock.now();
}

async function endpointFor(org: TestOrganization, receiver: Receiver, eventTypes = ["SETUP_STATUS_CHANGED", "NUMBER_RELEASED"]) {
  const created = (await org.client.data(CreateEndpoint, { input: { url: receiver.url, eventTypes, description: "test receiver" } })).createWebhookEndpoint;
  assert.equal(created.__typename, "CreateWebhookEndpointSuccess");
  if (created.__typename !== "CreateWebhookEndpointSuccess") throw new Error("unreachable");
  return { id: created.webhookEndpoint.id, secret: created.secret };
}

async function newNumber(org: TestOrganization): Promise<string> {
  const created = (await org.client.data(CreateNumber, { input: { e164: uniqueE164() } })).createManualPhoneNumber;
  if (created.__typename !== "CreateManualPhoneNumberSuccess") throw new Error(`creating a number: ${created.__typename}`);
  return created.phoneNumber.id;
}

/** An endpoint's deliveries (the organization's only, or oldest, endpoint by default), newest first. */
async function deliveries(org: TestOrganization, endpointId?: string) {
  const nodes = (await org.client.data(Endpoints)).webhookEndpoints!.edges.map((e) => e.node);
  const endpoint = endpointId ? nodes.find((n) => n.id === endpointId)! : nodes.at(-1)!;
  return endpoint.deliveries.edges.map((e) => e.node);
}

/** The organization's recorded events of these types, oldest first. */
async function eventsOf(org: TestOrganization, types: string[]) {
  const prisma = (await getEnvironment()).switchboard.database.prisma;
  return prisma.event.findMany({ where: { organizationId: org.id, type: { in: types as never } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

describe("webhook endpoints", () => {
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const started = await startReceiver(...args);
    receivers.push(started);
    return started;
  };
  after(async () => {
    for (const r of receivers) await r.close();
  });

  test("a number's events reach the endpoint signed (the README's verification code accepts them), with the documented body", async () => {
    const org = await createOrganization("webhooks-signed");
    const hooks = await receiver();
    const endpoint = await endpointFor(org, hooks);
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const numberId = await newNumber(org);
    assert.equal((await org.client.data(ReleaseNumber, { input: { id: numberId } })).releasePhoneNumber.__typename, "ReleasePhoneNumberSuccess");
    await deliverNow();

    const recorded = await eventsOf(org, ["SETUP_STATUS_CHANGED", "NUMBER_RELEASED"]);
    assert.ok(recorded.some((e) => e.type === "NUMBER_RELEASED") && recorded.some((e) => e.type === "SETUP_STATUS_CHANGED"));
    assert.deepEqual(hooks.received.map((r) => r.json.id), recorded.map((e) => e.id), "every event once, in order");
    for (const webhook of hooks.received) {
      assert.equal(verifySwitchboardWebhook(endpoint.secret, webhook.headers, webhook.body), true);
      assert.equal(webhook.headers["webhook-id"], webhook.json.id);
      assert.equal(webhook.headers["content-type"], "application/json");
      assert.match(String(webhook.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/]+=*$/, "one signature outside a rotation");
      // A changed body, another secret or an old timestamp are refused.
      assert.equal(verifySwitchboardWebhook(endpoint.secret, webhook.headers, webhook.body.replace("}", ' }')), false);
      assert.equal(verifySwitchboardWebhook(`whsec_${randomBytes(32).toString("base64")}`, webhook.headers, webhook.body), false);
      assert.equal(verifySwitchboardWebhook(endpoint.secret, { ...webhook.headers, "webhook-timestamp": String(Math.floor(Date.now() / 1000) - 600) }, webhook.body), false);
    }
    const released = hooks.received.find((r) => r.json.type === "NUMBER_RELEASED")!;
    const event = recorded.find((e) => e.type === "NUMBER_RELEASED")!;
    assert.deepEqual(released.json, { id: event.id, type: "NUMBER_RELEASED", createdAt: event.createdAt.toISOString(), organizationId: org.id, phoneNumberId: numberId, data: event.payload });

    const shown = await deliveries(org);
    assert.equal(shown.length, recorded.length);
    for (const delivery of shown) {
      assert.deepEqual([delivery.status, delivery.attempts, delivery.lastResponseStatus, delivery.error, delivery.nextRetryAt], ["DELIVERED", 1, 200, null, null]);
      assert.ok(delivery.latencyMs! >= 0 && delivery.deliveredAt);
      assert.equal(delivery.phoneNumberId, numberId);
    }
    assert.deepEqual(new Set(shown.map((d) => d.eventType)), new Set(["SETUP_STATUS_CHANGED", "NUMBER_RELEASED"]));
    await deliverNow();
    assert.equal(hooks.received.length, recorded.length, "nothing is delivered twice");
    await org.client.data(DeleteEndpoint, { input: { id: endpoint.id } });
  });

  test("failures are retried on a 30 s doubling backoff (on the injectable clock); a number's events stay in order while another number's flow", async () => {
    const org = await createOrganization("webhooks-retry");
    let failing: string | undefined;
    const hooks = await receiver((webhook) => (webhook.json.phoneNumberId === failing ? 500 : 200));
    const endpoint = await endpointFor(org, hooks);
    const agent = (await org.client.data(CreateAgent, { input: { name: "Ada" } })).createAgent;
    if (agent.__typename !== "CreateAgentSuccess") throw new Error("agent");
    const first = await newNumber(org);
    failing = first;
    // Three changes of the first number: created (setup status), assigned (setup status), released.
    await org.client.data(AssignNumber, { input: { phoneNumberId: first, agentId: agent.agent.id } });
    await org.client.data(ReleaseNumber, { input: { id: first } });
    const second = await newNumber(org);
    await deliverNow();

    const attemptsOnFirst = () => hooks.received.filter((r) => r.json.phoneNumberId === first);
    assert.equal(attemptsOnFirst().length, 1, "only the first number's earliest event is tried; the later ones wait for it");
    assert.ok(hooks.accepted().some((r) => r.json.phoneNumberId === second), "the other number is not held up");
    const waiting = (await deliveries(org)).find((d) => d.phoneNumberId === first && d.attempts === 1)!;
    assert.deepEqual([waiting.status, waiting.lastResponseStatus, waiting.error], ["PENDING", 500, "HTTP 500"]);
    assert.equal(new Date(waiting.nextRetryAt!).getTime() - new Date(waiting.lastAttemptAt!).getTime(), 30_000, "the first retry after 30 s");

    await advanceClock(29_000);
    await deliverNow();
    assert.equal(attemptsOnFirst().length, 1, "not before its time");
    await advanceClock(1_500);
    await deliverNow();
    assert.equal(attemptsOnFirst().length, 2, "retried once due");
    const again = (await deliveries(org)).find((d) => d.eventId === waiting.eventId)!;
    assert.equal(again.attempts, 2);
    assert.equal(new Date(again.nextRetryAt!).getTime() - new Date(again.lastAttemptAt!).getTime(), 60_000, "then after 60 s");

    failing = undefined;
    await advanceClock(60_000);
    await deliverNow();
    const firstNumberEvents = hooks.accepted().filter((r) => r.json.phoneNumberId === first).map((r) => r.json.id);
    const expected = (await eventsOf(org, ["SETUP_STATUS_CHANGED", "NUMBER_RELEASED"])).filter((e) => hooks.received.some((r) => r.json.id === e.id && r.json.phoneNumberId === first)).map((e) => e.id);
    assert.ok(expected.length >= 3, `the first number had several events (${expected.length})`);
    assert.deepEqual(firstNumberEvents, expected, "accepted in the order they were recorded, each once");
    assert.ok((await deliveries(org)).every((d) => d.status === "DELIVERED"));
    await org.client.data(DeleteEndpoint, { input: { id: endpoint.id } });
  });

  test("a receiver that does not answer times out (WEBHOOK_TIMEOUT_MS), and the delivery says so", async () => {
    const org = await createOrganization("webhooks-timeout");
    const hooks = await receiver(() => "hang");
    const endpoint = await endpointFor(org, hooks);
    await newNumber(org);
    const started = Date.now();
    await deliverNow();
    assert.ok(Date.now() - started < 5_000, "bounded by the timeout");
    const [delivery] = await deliveries(org);
    assert.deepEqual([delivery!.status, delivery!.lastResponseStatus, delivery!.error], ["PENDING", null, "Timed out after 500 ms"]);
    assert.ok(delivery!.latencyMs! >= 450);
    hooks.behave(() => 204);
    await advanceClock(30_000);
    await deliverNow();
    assert.equal((await deliveries(org))[0]!.status, "DELIVERED", "the receiver recovered");
    await org.client.data(DeleteEndpoint, { input: { id: endpoint.id } });
  });

  test("an endpoint failing for a day: the delivery fails after the backoff schedule, the endpoint is disabled and says why; redelivery works once fixed", async () => {
    const org = await createOrganization("webhooks-disabled");
    const hooks = await receiver(() => 503);
    const watcher = await receiver();
    const endpoint = await endpointFor(org, hooks);
    // A second endpoint hears that the first was disabled.
    const watching = await endpointFor(org, watcher, ["WEBHOOK_ENDPOINT_DISABLED"]);
    const numberId = await newNumber(org);
    const prisma = (await getEnvironment()).switchboard.database.prisma;
    await deliverNow();
    const gaps: number[] = [];
    for (let i = 0; i < 60; i++) {
      // Read from the database: 30 listings through the API would spend the key's rate budget.
      const delivery = await prisma.webhookDelivery.findFirstOrThrow({ where: { endpoint: { organizationId: org.id, url: hooks.url } }, orderBy: { eventCreatedAt: "asc" } });
      if (delivery.status !== "PENDING") break;
      gaps.push((delivery.nextAttemptAt!.getTime() - delivery.lastAttemptAt!.getTime()) / 1000);
      (await getEnvironment()).switchboard.services.clock.advanceTo(delivery.nextAttemptAt!);
      await deliverNow();
    }
    assert.deepEqual(gaps.slice(0, 9), [30, 60, 120, 240, 480, 960, 1920, 3600, 3600], "30 s doubling, at most an hour");
    const elapsedHours = gaps.reduce((a, b) => a + b, 0) / 3600;
    assert.ok(elapsedHours >= 24 && elapsedHours < 25.5, `retried for about a day (${elapsedHours} h)`);
    const listed = (await org.client.data(Endpoints)).webhookEndpoints!.edges.map((e) => e.node).find((n) => n.id === endpoint.id)!;
    assert.equal(listed.enabled, false);
    assert.match(listed.disabledReason!, /^Disabled automatically: every delivery failed for 24 hours \(since .*\)\. The last error: HTTP 503$/);
    const failed = listed.deliveries.edges.map((e) => e.node).filter((d) => d.status === "FAILED");
    assert.equal(failed.length, 1, "the number's first event failed for good (its later ones wait for the endpoint)");
    assert.deepEqual([failed[0]!.nextRetryAt, failed[0]!.error, failed[0]!.attempts], [null, "HTTP 503", gaps.length + 1]);
    assert.equal(hooks.received.length, gaps.length + 1, "one request per attempt");

    const disabledEvents = await eventsOf(org, ["WEBHOOK_ENDPOINT_DISABLED"]);
    assert.equal(disabledEvents.length, 1);
    await deliverNow();
    assert.deepEqual(watcher.accepted().map((r) => [r.json.type, (r.json.data as { webhookEndpointId: string }).webhookEndpointId]), [["WEBHOOK_ENDPOINT_DISABLED", endpoint.id]]);

    // Disabled: a new event is not queued for it.
    await newNumber(org);
    await deliverNow();
    const before = hooks.received.length;
    assert.ok((await deliveries(org, endpoint.id)).every((d) => d.phoneNumberId === numberId), "nothing queued for the new number");

    // Fixed and enabled again; the failed event is sent again on request.
    hooks.behave(() => 200);
    const enabled = (await org.client.data(UpdateEndpoint, { input: { id: endpoint.id, enabled: true } })).updateWebhookEndpoint;
    assert.deepEqual(enabled.__typename === "UpdateWebhookEndpointSuccess" && [enabled.webhookEndpoint.enabled, enabled.webhookEndpoint.disabledReason], [true, null]);
    const redelivered = (await org.client.data(Redeliver, { input: { endpointId: endpoint.id, eventId: failed[0]!.eventId } })).redeliverEvent;
    // Queued afresh (attempts start over); the redelivery woke the job, which may already be sending it.
    assert.equal(redelivered.__typename, "RedeliverEventSuccess");
    const queued = (redelivered as { delivery: { eventId: string; status: string; attempts: number } }).delivery;
    assert.equal(queued.eventId, failed[0]!.eventId);
    assert.ok((queued.status === "PENDING" && queued.attempts <= 1) || (queued.status === "DELIVERED" && queued.attempts === 1), JSON.stringify(queued));
    await deliverNow();
    // Enabling released the number's later events, which had waited behind the failed one (the
    // job was woken, as it is in production); the redelivery sends the failed one once more.
    await waitFor(async () => (await deliveries(org, endpoint.id)).every((d) => d.status === "DELIVERED"));
    const resumed = hooks.received.slice(before);
    assert.deepEqual(resumed.filter((r) => r.json.id === failed[0]!.eventId).map((r) => r.answer), [200]);
    assert.ok(resumed.every((r) => r.answer === 200 && r.json.phoneNumberId === numberId));
    const after = (await deliveries(org, endpoint.id)).find((d) => d.eventId === failed[0]!.eventId)!;
    assert.deepEqual([after.status, after.attempts, after.lastResponseStatus], ["DELIVERED", 1, 200]);

    // A delivered event can be sent again too (same webhook-id: receivers that dedupe see a repeat).
    await org.client.data(Redeliver, { input: { endpointId: endpoint.id, eventId: failed[0]!.eventId } });
    await deliverNow();
    assert.deepEqual(hooks.received.slice(-2).map((r) => r.headers["webhook-id"]), [failed[0]!.eventId, failed[0]!.eventId]);
    const unknown = (await org.client.data(Redeliver, { input: { endpointId: endpoint.id, eventId: "00000000-0000-4000-8000-000000000000" } })).redeliverEvent;
    assert.equal(unknown.__typename, "NotFoundError");
    for (const id of [endpoint.id, watching.id]) await org.client.data(DeleteEndpoint, { input: { id } });
  });

  test("rotating the secret: both signatures during the overlap, only the new one after it", async () => {
    const org = await createOrganization("webhooks-rotate");
    const hooks = await receiver();
    const endpoint = await endpointFor(org, hooks);
    const rotated = (await org.client.data(RotateSecret, { input: { id: endpoint.id } })).rotateWebhookSecret;
    if (rotated.__typename !== "RotateWebhookSecretSuccess") throw new Error(rotated.__typename);
    assert.notEqual(rotated.secret, endpoint.secret);
    const overlapEnds = new Date(rotated.webhookEndpoint.previousSecretExpiresAt!).getTime();
    assert.equal(Math.round((overlapEnds - (await now()).getTime()) / 3_600_000), 24, "WEBHOOK_SECRET_OVERLAP_HOURS, 24 by default");
    await newNumber(org);
    await deliverNow();
    const during = hooks.received.at(-1)!;
    assert.equal(String(during.headers["webhook-signature"]).split(" ").length, 2);
    assert.equal(verifySwitchboardWebhook(rotated.secret, during.headers, during.body), true, "the new secret verifies");
    assert.equal(verifySwitchboardWebhook(endpoint.secret, during.headers, during.body), true, "the old secret still verifies");

    (await getEnvironment()).switchboard.services.clock.advanceTo(new Date(overlapEnds + 1_000));
    await newNumber(org);
    await deliverNow();
    const afterwards = hooks.received.at(-1)!;
    assert.equal(String(afterwards.headers["webhook-signature"]).split(" ").length, 1);
    assert.equal(verifySwitchboardWebhook(rotated.secret, afterwards.headers, afterwards.body), true);
    assert.equal(verifySwitchboardWebhook(endpoint.secret, afterwards.headers, afterwards.body), false, "the old secret no longer signs");
    await org.client.data(DeleteEndpoint, { input: { id: endpoint.id } });
  });

  test("URLs that could reach the server's own network are refused with a ValidationError naming input.url", async () => {
    const org = await createOrganization("webhooks-ssrf");
    for (const url of [
      "https://10.0.0.1/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://192.168.1.20/hook",
      "https://172.16.5.4/hook",
      "https://[fd00:ec2::254]/hook",
      "https://[fe80::1]/hook",
      "https://[::ffff:10.0.0.1]/hook",
      "https://0.0.0.0/hook",
      "https://224.0.0.1/hook",
      "http://203.0.113.10/hook",
      "ftp://example.com/hook",
      "https://user:pass@example.com/hook",
      "not a url",
    ]) {
      const result = (await org.client.data(CreateEndpoint, { input: { url, eventTypes: ["NUMBER_RELEASED"] } })).createWebhookEndpoint;
      assert.equal(result.__typename, "ValidationError", url);
      if (result.__typename === "ValidationError") assert.deepEqual(result.fieldErrors.map((e) => e.path), [["input", "url"]], url);
    }
    const badType = (await org.client.data(CreateEndpoint, { input: { url: "https://203.0.113.10/hook", eventTypes: ["NUMBER_RELEASED", "NOT_A_TYPE"] } })).createWebhookEndpoint;
    assert.equal(badType.__typename, "ValidationError");
    if (badType.__typename === "ValidationError") assert.deepEqual(badType.fieldErrors.map((e) => [e.path, e.code]), [[["input", "eventTypes", "1"], "INVALID_VALUE"]]);

    // Without WEBHOOK_ALLOW_LOOPBACK (the production default): loopback, by address or by name, and
    // a name a resolver maps to a private address.
    const env = await getEnvironment();
    const strict = { ...env.config.customerWebhooks, allowLoopback: false };
    const resolver = async (host: string) => (host === "internal.example.test" ? [{ address: "10.20.30.40", family: 4 as const }] : [{ address: "203.0.113.7", family: 4 as const }]);
    const endpoints = new WebhookEndpoints(env.switchboard.database.prisma, new SecretBox(randomBytes(32)), strict, env.switchboard.services.clock, resolver);
    const caller = { organizationId: org.id } as never;
    for (const url of ["http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "https://internal.example.test/hook", "https://[::1]/hook"]) {
      await assert.rejects(endpoints.create(caller, { url, eventTypes: ["NUMBER_RELEASED"] }), (error: unknown) => {
        assert.ok(error instanceof ValidationError, url);
        assert.deepEqual(error.fieldErrors.map((e) => [e.path, e.code]), [[["input", "url"], "NOT_PERMITTED"]], url);
        return true;
      });
    }
    await assert.rejects(checkTarget("https://localhost/hook", strict), UnsafeWebhookTarget, "localhost resolves to loopback");
    await assert.rejects(endpoints.create(caller, { url: "https://internal.example.test/hook", eventTypes: ["NUMBER_RELEASED"] }), /10\.20\.30\.40, which is a private address/);
    // An operator's allow-list names a host that may resolve privately.
    const allowed = new WebhookEndpoints(env.switchboard.database.prisma, new SecretBox(randomBytes(32)), { ...strict, allowedHosts: ["internal.example.test"] }, env.switchboard.services.clock, resolver);
    const made = await allowed.create(caller, { url: "https://internal.example.test/hook", eventTypes: ["NUMBER_RELEASED"] });
    await env.switchboard.database.prisma.webhookEndpoint.delete({ where: { id: made.endpoint.id } });
  });

  test("delivery connects to the address checked at delivery time: a host that now resolves privately is not sent to", async () => {
    const org = await createOrganization("webhooks-rebind");
    const hooks = await receiver();
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    const secrets = new SecretBox(randomBytes(32));
    let answer = "127.0.0.1";
    // A name no DNS knows: the connection can only reach the receiver through the checked address.
    const resolver = async () => [{ address: answer, family: 4 as const }];
    const url = hooks.url.replace("127.0.0.1", "rebind.example.test");
    const endpoints = new WebhookEndpoints(prisma, secrets, env.config.customerWebhooks, env.switchboard.services.clock, resolver);
    const deliverer = new WebhookDeliverer(prisma, secrets, env.config.customerWebhooks, env.switchboard.services.clock, createLogger("silent"), resolver);
    const { endpoint } = await endpoints.create({ organizationId: org.id } as never, { url, eventTypes: ["SETUP_STATUS_CHANGED"] });
    await newNumber(org);
    await deliverer.run();
    assert.equal(hooks.accepted().length, 1, "sent to the checked loopback address");
    answer = "10.0.0.8";
    await newNumber(org);
    await deliverer.run();
    assert.equal(hooks.received.length, 1, "not sent once the name resolves privately");
    const refused = await prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id, status: "PENDING" } });
    assert.equal(refused.lastError, "Not sent: rebind.example.test resolves to 10.0.0.8, which is a private address: webhooks go to public addresses only");
    await prisma.webhookEndpoint.delete({ where: { id: endpoint.id } });
  });

  test("a key without webhooks:admin gets FORBIDDEN; * grants it", async () => {
    const org = await createOrganization("webhooks-scopes");
    const reader = await org.clientWithScopes(["numbers:read", "numbers:write"]);
    const created = await reader.request(CreateEndpoint, { input: { url: "https://203.0.113.10/hook", eventTypes: ["NUMBER_RELEASED"] } });
    assert.equal(created.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const listed = await reader.request(Endpoints);
    assert.equal(listed.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.equal(listed.data ?? null, null);
    const admin = await org.clientWithScopes(["webhooks:admin"]);
    const made = (await admin.data(CreateEndpoint, { input: { url: "https://203.0.113.10/hook", eventTypes: ["NUMBER_RELEASED"] } })).createWebhookEndpoint;
    assert.equal(made.__typename, "CreateWebhookEndpointSuccess");
    if (made.__typename === "CreateWebhookEndpointSuccess") {
      // Another organization sees nothing of it.
      const other = await createOrganization("webhooks-other");
      const foreign = (await other.client.data(DeleteEndpoint, { input: { id: made.webhookEndpoint.id } })).deleteWebhookEndpoint;
      assert.equal(foreign.__typename, "NotFoundError");
      assert.equal((await other.client.data(Endpoints)).webhookEndpoints!.totalCount, 0);
      assert.equal((await org.client.data(DeleteEndpoint, { input: { id: made.webhookEndpoint.id } })).deleteWebhookEndpoint.__typename, "DeleteWebhookEndpointSuccess");
    }
  });
});

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canMove, check, isLive, LIVE_STATUSES, NUMBER_OPERATIONS, NUMBER_STATUSES, releaseNeedsCarrier, statesMovingTo, type NumberOperation, type NumberStatus } from "../src/domain/lifecycle.ts";
import { createOrganization, getEnvironment, sendRaw } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

/** What each state allows, written out in full: every state x operation pair is asserted. */
const EXPECTED: Record<NumberStatus, Record<NumberOperation, boolean>> = {
  PENDING: { ASSIGN: true, UPDATE: true, CONFIRM_FORWARDING: true, SEND: false, RELEASE: false, CHARGE: false },
  ACTIVE: { ASSIGN: true, UPDATE: true, CONFIRM_FORWARDING: true, SEND: true, RELEASE: true, CHARGE: true },
  SUSPENDED: { ASSIGN: true, UPDATE: true, CONFIRM_FORWARDING: true, SEND: false, RELEASE: true, CHARGE: true },
  RELEASING: { ASSIGN: false, UPDATE: false, CONFIRM_FORWARDING: false, SEND: false, RELEASE: true, CHARGE: false },
  FAILED: { ASSIGN: false, UPDATE: false, CONFIRM_FORWARDING: false, SEND: false, RELEASE: true, CHARGE: false },
  RELEASED: { ASSIGN: false, UPDATE: false, CONFIRM_FORWARDING: false, SEND: false, RELEASE: false, CHARGE: false },
};

const send = async (secret: string, query: string, variables?: unknown) => (await sendRaw(secret, query, variables)).body;

describe("number lifecycle", () => {
  describe("rules (pure)", () => {
    test("every state x operation pair", () => {
      for (const status of NUMBER_STATUSES) {
        for (const operation of NUMBER_OPERATIONS) {
          const refusal = check(status, operation);
          assert.equal(refusal === undefined, EXPECTED[status][operation], `${status} x ${operation}`);
          if (refusal && status !== "RELEASED") assert.equal(refusal.kind, "NOT_ALLOWED");
          if (status === "RELEASED") assert.deepEqual(refusal, { kind: "RELEASED" });
        }
      }
    });

    test("moves: PENDING to ACTIVE or FAILED, ACTIVE and SUSPENDED back and forth, releases through RELEASING, RELEASED is final", () => {
      const moves = NUMBER_STATUSES.flatMap((from) => NUMBER_STATUSES.filter((to) => canMove(from, to)).map((to) => `${from}->${to}`));
      assert.deepEqual(moves.sort(), [
        "ACTIVE->RELEASED",
        "ACTIVE->RELEASING",
        "ACTIVE->SUSPENDED",
        "FAILED->RELEASED",
        "PENDING->ACTIVE",
        "PENDING->FAILED",
        "RELEASING->RELEASED",
        "SUSPENDED->ACTIVE",
        "SUSPENDED->RELEASED",
        "SUSPENDED->RELEASING",
      ]);
      assert.deepEqual(statesMovingTo("RELEASED").sort(), ["ACTIVE", "FAILED", "RELEASING", "SUSPENDED"]);
      assert.deepEqual(statesMovingTo("RELEASING").sort(), ["ACTIVE", "SUSPENDED"]);
    });

    test("live states hold their E.164; a FAILED number is dismissed without the carrier", () => {
      assert.deepEqual(NUMBER_STATUSES.filter(isLive), [...LIVE_STATUSES]);
      assert.equal(releaseNeedsCarrier({ status: "FAILED", source: "MANAGED" }), false);
      assert.equal(releaseNeedsCarrier({ status: "ACTIVE", source: "MANAGED" }), true);
      assert.equal(releaseNeedsCarrier({ status: "ACTIVE", source: "MANUAL" }), false);
    });

    test("the database's unique index on live numbers uses the same live states", async () => {
      const env = await getEnvironment();
      const [index] = await env.switchboard.database.prisma.$queryRaw<Array<{ definition: string }>>`
        SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indexrelid = '"PhoneNumber_e164_live_key"'::regclass`;
      const excluded = NUMBER_STATUSES.filter((status) => !isLive(status));
      for (const status of excluded) assert.match(index!.definition, new RegExp(`'${status}'`), `the index excludes ${status}`);
      for (const status of LIVE_STATUSES) assert.doesNotMatch(index!.definition, new RegExp(`'${status}'`), `the index keeps ${status}`);
    });
  });

  describe("through the API", () => {
    test("a FAILED managed number can only be dismissed: no carrier call, then RELEASED with no setup issues", async () => {
      const org = await createOrganization("failed-number");
      const env = await getEnvironment();
      const prisma = env.switchboard.database.prisma;
      // A carrier id the carrier does not know: were the carrier called, the release would be a CarrierError.
      const failed = await prisma.phoneNumber.create({
        data: { organizationId: org.id, e164: uniqueE164(), country: "US", source: "MANAGED", status: "FAILED", carrier: "sandbox", carrierResourceId: "never-sold" },
      });
      const id = Buffer.from(`PhoneNumber:${failed.id}`).toString("base64");
      const agent = (await send(org.secret, 'mutation { createAgent(input: { name: "A" }) { ... on CreateAgentSuccess { agent { id } } } }')).data.createAgent.agent.id;

      const assigned = await send(org.secret, "mutation($n: ID!, $a: ID!) { assignPhoneNumber(input: { phoneNumberId: $n, agentId: $a }) { __typename ... on Error { message } } }", { n: id, a: agent });
      assert.equal(assigned.data.assignPhoneNumber.__typename, "ConflictError");
      assert.match(assigned.data.assignPhoneNumber.message, /failed to be ordered from the carrier; it can only be released/);
      const updated = await send(org.secret, 'mutation($n: ID!) { updatePhoneNumber(input: { id: $n, label: "x" }) { __typename } }', { n: id });
      assert.equal(updated.data.updatePhoneNumber.__typename, "ConflictError");

      const released = await send(
        org.secret,
        "mutation($n: ID!) { releasePhoneNumber(input: { id: $n }) { __typename ... on ReleasePhoneNumberSuccess { phoneNumber { status releasedAt setupStatus { status issues { code } } } } } }",
        { n: id },
      );
      assert.equal(released.data.releasePhoneNumber.__typename, "ReleasePhoneNumberSuccess", JSON.stringify(released));
      assert.equal(released.data.releasePhoneNumber.phoneNumber.status, "RELEASED");
      assert.deepEqual(released.data.releasePhoneNumber.phoneNumber.setupStatus, { status: "RELEASED", issues: [] });
      const again = await send(org.secret, "mutation($n: ID!) { releasePhoneNumber(input: { id: $n }) { __typename } }", { n: id });
      assert.equal(again.data.releasePhoneNumber.__typename, "NumberReleasedError");
    });

    test("a released number reports status RELEASED and no setup issues", async () => {
      const org = await createOrganization("released-issues");
      const created = await send(org.secret, "mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { ... on CreateManualPhoneNumberSuccess { phoneNumber { id setupStatus { issues { code } } } } } }", {
        e: uniqueE164(),
      });
      const number = created.data.createManualPhoneNumber.phoneNumber;
      assert.ok(number.setupStatus.issues.length > 0, "a new manual number without an agent has issues");
      const released = await send(org.secret, "mutation($n: ID!) { releasePhoneNumber(input: { id: $n }) { ... on ReleasePhoneNumberSuccess { phoneNumber { setupStatus { status inboundReady issues { code } } } } } }", {
        n: number.id,
      });
      assert.deepEqual(released.data.releasePhoneNumber.phoneNumber.setupStatus, { status: "RELEASED", inboundReady: false, issues: [] });
    });

    test("a PENDING number cannot send; the refusal names its state", async () => {
      const org = await createOrganization("pending-send");
      const env = await getEnvironment();
      const pending = await env.switchboard.database.prisma.phoneNumber.create({
        data: { organizationId: org.id, e164: uniqueE164(), country: "CA", source: "MANAGED", status: "PENDING", carrier: "sandbox", smsCapable: true },
      });
      const sent = await send(org.secret, 'mutation($n: ID!) { sendMessage(input: { phoneNumberId: $n, to: "+14155550101", body: "hi" }) { __typename ... on ValidationError { fieldErrors { message } } } }', {
        n: Buffer.from(`PhoneNumber:${pending.id}`).toString("base64"),
      });
      assert.equal(sent.data.sendMessage.__typename, "ValidationError");
      assert.match(sent.data.sendMessage.fieldErrors[0].message, /still being ordered from the carrier and cannot send messages/);
    });
  });
});

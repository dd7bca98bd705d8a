import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createApiKey, createOperatorKey } from "../src/apikeys/service.ts";
import { decodeId } from "../src/domain/global-id.ts";
import { graphql } from "./generated/gql.ts";
import { startFakeTelnyx, type FakeTelnyx } from "./helpers/fake-telnyx.ts";
import { processClient, startVariant, testTarget, type Client, type VariantServer } from "./helpers/harness.ts";
import { as, completeInput, Decide, Submit } from "./helpers/verification.ts";
import { postTelnyx, statusUpdate, TELNYX_PUBLIC_KEY } from "./helpers/webhooks.ts";

// Sending through Telnyx end to end: a server with CARRIER=telnyx (in this process, on a database of
// its own: its message sender polls every 0.1 s with another carrier) pointed at the local fake Telnyx, a US number bought through it and cleared for 10DLC, and messages sent over real HTTP.
// What is asserted is what a customer sees through the API, and what the fake Telnyx was asked.

const Provision = graphql(`
  mutation TxE2eProvision($input: ProvisionPhoneNumberInput!) {
    provisionPhoneNumber(input: $input) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        phoneNumber {
          id
          e164
          status
          carrier
        }
      }
    }
  }
`);

const NumberSms = graphql(`
  query TxE2eNumberSms($id: ID!) {
    node(id: $id) {
      ... on PhoneNumber {
        smsCampaign {
          status
        }
        setupStatus {
          smsReady
        }
      }
    }
  }
`);

const Send = graphql(`
  mutation TxE2eSend($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess {
        sentMessage {
          id
          status
          carrier
          from
          to
        }
      }
      ... on VerificationRequiredError {
        missing
      }
    }
  }
`);

const MessageNode = graphql(`
  query TxE2eMessage($id: ID!) {
    node(id: $id) {
      ... on Message {
        id
        status
        carrier
        carrierMessageId
        errorCode
        failureReason
        sendAttempts
        sentAt
        deliveredAt
        failedAt
      }
    }
  }
`);

const Simulate = graphql(`
  mutation TxE2eSimulate($input: SimulateInboundMessageInput!) {
    simulateInboundMessage(input: $input) {
      __typename
      ... on SimulateInboundMessageSuccess {
        inboundMessage {
          carrier
          status
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

const CreateManual = graphql(`
  mutation TxE2eCreateManual($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
          e164
        }
      }
    }
  }
`);

type MessageState = {
  id: string;
  status: string;
  carrier: string;
  carrierMessageId: string | null;
  errorCode: string | null;
  failureReason: string | null;
  sendAttempts: number;
  sentAt: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `done` holds, for at most `seconds` (a busy machine is slow, never wrong). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) assert.fail(`${what}; last seen: ${JSON.stringify(value)}`);
    await sleep(50);
    value = await read();
  }
  return value;
}

/** The reference the sender gives the carrier: the message's own id, inside its global id. */
const referenceOf = (messageId: string) => (decodeId(messageId, "Message", []) as { id: string }).id;

describe(`sending through Telnyx end to end (${testTarget()} database)`, () => {
  let fake: FakeTelnyx;
  let server: VariantServer | undefined;
  let org: Client;
  let number: { id: string; e164: string };
  let testKey: string;
  after(async () => {
    await server?.close();
    await fake?.close();
  });

  const message = async (id: string) => {
    const node = (await org.data(MessageNode, { id })).node as MessageState | null;
    assert.ok(node, "the message is readable");
    return node;
  };
  /** The message once the sender has settled it (no longer QUEUED). */
  const settled = (id: string) => until(() => message(id), (m) => m.status !== "QUEUED", "the message stayed QUEUED");
  /** What the fake Telnyx was asked to send for one of our messages. */
  const postsFor = (id: string) => fake.requestsTo("POST", "/v2/messages").filter((r) => r.idempotencyKey === referenceOf(id));

  before(async () => {
    fake = await startFakeTelnyx();
    server = await startVariant({
      CARRIER: "telnyx",
      TELNYX_API_KEY: fake.apiKey,
      TELNYX_BASE_URL: fake.url,
      TELNYX_MESSAGING_PROFILE_ID: "profile-e2e",
      TELNYX_PUBLIC_KEY,
      // Generous deadlines (a busy machine must not turn a slow answer into CARRIER_OUTCOME_UNKNOWN),
      // quick polls and short backoffs so that retries settle within the test.
      CARRIER_TIMEOUT_MS: "15000",
      MESSAGE_SEND_POLL_SECONDS: "0.1",
      MESSAGE_SEND_RETRY_MS: "50",
      MESSAGE_SEND_MAX_ATTEMPTS: "4",
      ORDER_POLL_SECONDS: "3600",
    }, { database: "own" });
    const prisma = server.switchboard.database.prisma;
    const organization = await prisma.organization.create({ data: { name: "telnyx-send" } });
    org = processClient(server.url, (await createApiKey(prisma, organization.id, { name: "e2e", scopes: ["*"], mode: "LIVE" })).secret);
    testKey = (await createApiKey(prisma, organization.id, { name: "e2e test key", scopes: ["*"], mode: "TEST" })).secret;
    const reviewer = processClient(server.url, (await createOperatorKey(prisma, { name: "telnyx e2e reviewer" })).secret);

    const bought = as((await org.data(Provision, { input: { e164: "+14157340101", idempotencyKey: "e2e-number" } })).provisionPhoneNumber, "ProvisionPhoneNumberSuccess").phoneNumber;
    assert.deepEqual([bought.status, bought.carrier], ["ACTIVE", "telnyx"], "Telnyx completed the order at once");
    number = bought;

    // A US number: no sending before the 10DLC verification is approved and the number is on its campaign.
    const gated = (await org.data(Send, { input: { phoneNumberId: number.id, to: "+14155550199", body: "too early" } })).sendMessage;
    assert.deepEqual(as(gated, "VerificationRequiredError").missing, ["VERIFICATION_APPROVED", "CAMPAIGN_ASSIGNED"]);
    const submitted = as((await org.data(Submit, { input: completeInput() })).submitVerification, "SubmitVerificationSuccess").verification as { id: string };
    as((await reviewer.data(Decide, { input: { id: submitted.id, decision: "APPROVE" } })).decideVerification, "DecideVerificationSuccess");
    await until(
      async () => (await org.data(NumberSms, { id: number.id })).node as { smsCampaign: { status: string } | null; setupStatus: { smsReady: boolean } } | null,
      (n) => n?.smsCampaign?.status === "ASSIGNED" && n.setupStatus.smsReady,
      "the number was never assigned to the campaign",
    );
    assert.equal(fake.requestsTo("POST", "/v2/messages").length, 0, "the refused send never reached Telnyx");
  }, { timeout: 180_000 });

  test("sendMessage answers QUEUED; the sender posts it to Telnyx once and records SENT with Telnyx's id; a signed delivery webhook makes it DELIVERED", { timeout: 120_000 }, async () => {
    const input = { phoneNumberId: number.id, to: "+14155550123", body: "Your order shipped", idempotencyKey: "e2e-shipped" };
    const queued = as((await org.data(Send, { input })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.deepEqual([queued.status, queued.carrier, queued.from, queued.to], ["QUEUED", "telnyx", number.e164, "+14155550123"]);

    const sent = await settled(queued.id);
    assert.deepEqual([sent.status, sent.errorCode, sent.failureReason, sent.sendAttempts], ["SENT", null, null, 1]);
    assert.ok(sent.sentAt);
    const posts = postsFor(queued.id);
    assert.equal(posts.length, 1, "one POST /v2/messages for the message");
    assert.equal(fake.requestsTo("POST", "/v2/messages").length, 1, "and none for anything else");
    assert.deepEqual(posts[0]!.body, { from: number.e164, to: "+14155550123", text: "Your order shipped", messaging_profile_id: "profile-e2e" });
    assert.equal(posts[0]!.authorization, `Bearer ${fake.apiKey}`);
    assert.equal(posts[0]!.status, 200);
    assert.deepEqual(fake.state.messages.map((m) => m.id), [sent.carrierMessageId], "the recorded carrier id is the one Telnyx gave");

    // The same idempotency key again: the message as it stands, not a second text.
    const again = as((await org.data(Send, { input })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.deepEqual([again.id, again.status], [queued.id, "SENT"]);

    // Telnyx reports the delivery (message.finalized, signed with its Ed25519 key).
    const delivery = await postTelnyx(server!.url, statusUpdate(sent.carrierMessageId!, "message.finalized", "delivered"));
    assert.deepEqual([delivery.status, delivery.body.status], [200, "UPDATED"]);
    const delivered = await until(() => message(queued.id), (m) => m.status === "DELIVERED", "the message never became DELIVERED");
    assert.equal(delivered.carrierMessageId, sent.carrierMessageId);
    assert.ok(delivered.deliveredAt);
    // A late message.sent does not move it backwards.
    assert.equal((await postTelnyx(server!.url, statusUpdate(sent.carrierMessageId!, "message.sent", "sent"))).body.status, "IGNORED");
    assert.equal((await message(queued.id)).status, "DELIVERED");
    assert.equal(fake.requestsTo("POST", "/v2/messages").length, 1, "still one text in all");
  });

  test("simulateInboundMessage plays the sandbox: a live key whose messages go through Telnyx is refused; a test key of the organization may, on a number Telnyx does not carry", { timeout: 120_000 }, async () => {
    const textsBefore = fake.requestsTo("POST", "/v2/messages").length;
    const live = await org.request(Simulate, { input: { phoneNumberId: number.id, from: "+14155550126", text: "STOP" } });
    const refused = as(live.data!.simulateInboundMessage, "ValidationError");
    assert.deepEqual(refused.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input", "NOT_PERMITTED"]]);
    assert.match(refused.fieldErrors[0]!.message, /go through telnyx: use an sb_test_ key/);

    // A test key of the same organization uses the sandbox, but not for a number Telnyx carries.
    const tester = processClient(server!.url, testKey);
    const onTelnyx = as((await tester.data(Simulate, { input: { phoneNumberId: number.id, from: "+14155550126", text: "STOP" } })).simulateInboundMessage, "ValidationError");
    assert.deepEqual(onTelnyx.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.phoneNumberId", "NOT_PERMITTED"]]);
    const manual = as((await tester.data(CreateManual, { input: { e164: "+14167340102", capabilities: { sms: true } } })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
    const received = as((await tester.data(Simulate, { input: { to: manual.e164, from: "+14155550126", text: "hello" } })).simulateInboundMessage, "SimulateInboundMessageSuccess");
    assert.deepEqual(received.inboundMessage, { carrier: "sandbox", status: "RECEIVED" });
    assert.equal(fake.requestsTo("POST", "/v2/messages").length, textsBefore, "nothing reached Telnyx");
  });

  test("Telnyx refuses a message (422): it ends FAILED with Telnyx's reason, posted once and never retried", { timeout: 120_000 }, async () => {
    const textsBefore = fake.state.messages.length;
    fake.switches.rejectNextMessages = 1;
    const queued = as((await org.data(Send, { input: { phoneNumberId: number.id, to: "+14155550124", body: "refused", idempotencyKey: "e2e-refused" } })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.equal(queued.status, "QUEUED");

    const failed = await settled(queued.id);
    assert.deepEqual([failed.status, failed.errorCode, failed.carrierMessageId, failed.sendAttempts], ["FAILED", "CARRIER_REJECTED", null, 1]);
    assert.ok(failed.failedAt);
    assert.match(failed.failureReason ?? "", /HTTP 422/);
    assert.match(failed.failureReason ?? "", /cannot receive messages/, "Telnyx's own detail reaches the customer");
    assert.deepEqual(postsFor(queued.id).map((r) => r.status), [422], "asked once, refused");
    assert.equal(fake.state.messages.length, textsBefore, "nothing was sent");
    // Still FAILED, still asked once, after the sender has had time to look again.
    await sleep(500);
    assert.equal((await message(queued.id)).status, "FAILED");
    assert.equal(postsFor(queued.id).length, 1);
  });

  test("Telnyx is unavailable (503) twice: the message is retried with the same Idempotency-Key and ends SENT, sent once", { timeout: 120_000 }, async () => {
    const textsBefore = fake.state.messages.length;
    fake.switches.failStatus = 503;
    fake.switches.failNext = 2;
    const queued = as((await org.data(Send, { input: { phoneNumberId: number.id, to: "+14155550125", body: "after an outage", idempotencyKey: "e2e-flaky" } })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.equal(queued.status, "QUEUED");

    const sent = await settled(queued.id);
    assert.deepEqual([sent.status, sent.errorCode, sent.failureReason], ["SENT", null, null]);
    const posts = postsFor(queued.id);
    assert.deepEqual(posts.map((r) => r.status), [503, 503, 200], "two refusals, then taken");
    assert.equal(sent.sendAttempts, posts.length, "the API counts the attempts Telnyx saw");
    assert.ok(posts.every((r) => JSON.stringify(r.body) === JSON.stringify(posts[0]!.body)), "each attempt asks for the same message");
    const texts = fake.state.messages.slice(textsBefore);
    assert.deepEqual(texts.map((m) => [m.id, m.text]), [[sent.carrierMessageId, "after an outage"]], "one text, the one recorded");
    await sleep(500);
    const final = await message(queued.id);
    assert.deepEqual([final.status, final.carrierMessageId], ["SENT", sent.carrierMessageId]);
    assert.equal(postsFor(queued.id).length, 3, "not sent again once SENT");
  });
});

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";
import { as, decide, submitComplete } from "./helpers/verification.ts";
import { inboundMessage, postSandbox, postTelnyx, statusUpdate, telnyxHeaders } from "./helpers/webhooks.ts";

// Messages as a customer sees them: carriers deliver signed webhooks over HTTP, the API lists,
// filters and streams what was stored, and sendMessage goes through the 10DLC gate and opt-outs.

const CreateNumber = graphql(`
  mutation MsgCreateNumber($input: CreateManualPhoneNumberInput!) {
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

const NumberMessages = graphql(`
  query MsgNumberMessages($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $filter: MessageFilter) {
    node(id: $id) {
      ... on PhoneNumber {
        status
        messages(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
          totalCount
          pageInfo {
            hasNextPage
            hasPreviousPage
            startCursor
            endCursor
          }
          edges {
            node {
              id
              direction
              from
              to
              body
              mediaUrls
              status
              toReleasedNumber
              createdAt
            }
          }
        }
      }
    }
  }
`);

const OrgMessages = graphql(`
  query MsgOrgMessages($filter: MessageFilter) {
    messages(first: 100, filter: $filter) {
      totalCount
      edges {
        node {
          id
          body
          direction
          phoneNumber {
            id
          }
        }
      }
    }
  }
`);

const MessageNode = graphql(`
  query MsgNode($id: ID!) {
    node(id: $id) {
      ... on Message {
        id
        status
        errorCode
        failureReason
        sendAttempts
        carrierMessageId
        sentAt
        deliveredAt
      }
    }
  }
`);

const Send = graphql(`
  mutation MsgSend($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess {
        sentMessage {
          id
          status
          from
          to
          body
          direction
          carrierMessageId
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
        }
      }
      ... on VerificationRequiredError {
        code
        missing
        verificationStatus
        smsCampaignStatus
      }
      ... on RecipientOptedOutError {
        code
        recipient
      }
      ... on NumberReleasedError {
        code
      }
    }
  }
`);

const OptOuts = graphql(`
  query MsgOptOuts($phoneNumberId: ID) {
    optOuts(first: 50, phoneNumberId: $phoneNumberId) {
      totalCount
      edges {
        node {
          recipient
          keyword
        }
      }
    }
  }
`);

const SetHelp = graphql(`
  mutation MsgSetHelp($input: SetSmsHelpTextInput!) {
    setSmsHelpText(input: $input) {
      __typename
      ... on SetSmsHelpTextSuccess {
        helpText
      }
    }
  }
`);

const Release = graphql(`
  mutation MsgRelease($input: ReleasePhoneNumberInput!) {
    releasePhoneNumber(input: $input) {
      __typename
    }
  }
`);

const Received = graphql(`
  subscription MsgReceived($phoneNumberId: ID) {
    messageReceived(phoneNumberId: $phoneNumberId) {
      id
      body
      from
      phoneNumber {
        id
        e164
      }
    }
  }
`);

async function smsNumber(org: TestOrganization, e164 = uniqueE164()): Promise<{ id: string; e164: string }> {
  const data = await org.client.data(CreateNumber, { input: { e164, capabilities: { sms: true, mms: true } } });
  return as(data.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
}

async function messagesOf(org: TestOrganization, id: string, args: Record<string, unknown> = {}) {
  const node = (await org.client.data(NumberMessages, { id, first: 100, ...args })).node as {
    status: string;
    messages: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string | null; endCursor?: string | null };
      edges: Array<{ node: { id: string; body: string; direction: string; from: string; status: string; toReleasedNumber: boolean; createdAt: string; mediaUrls: string[] } }>;
    } | null;
  } | null;
  assert.ok(node?.messages, "the number and its messages are readable");
  return node.messages;
}

type MessageState = { id: string; status: string; errorCode: string | null; failureReason: string | null; sendAttempts: number; carrierMessageId: string | null; sentAt: string | null };

/** Polls a message until the outbox has settled it (no longer QUEUED). */
async function settled(org: TestOrganization, id: string): Promise<MessageState> {
  for (let i = 0; i < 200; i++) {
    const node = (await org.client.data(MessageNode, { id })).node as MessageState | null;
    assert.ok(node, "the message is readable");
    if (node.status !== "QUEUED") return node;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail("the message stayed QUEUED");
}

/** Waits until `check` holds (things the sender does shortly after a request). */
async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(what);
}

/** Approves the organization's verification and waits until the number is ASSIGNED to its campaign. */
async function approveForSms(org: TestOrganization, phoneNumberId: string) {
  as(await decide(await submitComplete(org), "APPROVE"), "DecideVerificationSuccess");
  const prisma = (await getEnvironment()).switchboard.database.prisma;
  const { decodeId } = await import("../src/domain/global-id.ts");
  const id = (decodeId(phoneNumberId, "PhoneNumber", []) as { id: string }).id;
  for (let i = 0; i < 100; i++) {
    const number = await prisma.phoneNumber.findUniqueOrThrow({ where: { id } });
    if (number.smsCampaignStatus === "ASSIGNED") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail("the number was never assigned to the campaign");
}

describe("messages", () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  test("forged, unsigned, stale and replayed Telnyx deliveries get 4xx and store nothing", async () => {
    const url = await (await getEnvironment()).url();
    const org = await createOrganization("msg-forged");
    const number = await smsNumber(org);
    const body = inboundMessage(uniqueE164(), number.e164, "hello");

    assert.equal((await postTelnyx(url, body, {})).status, 401, "unsigned");
    assert.equal((await postTelnyx(url, body, telnyxHeaders(body, undefined, { forged: true }))).status, 401, "signed with another key");
    const tampered = body.replace("hello", "hullo");
    assert.equal((await postTelnyx(url, tampered, telnyxHeaders(body))).status, 401, "body changed after signing");
    const stale = Math.floor(Date.now() / 1000) - 301;
    assert.equal((await postTelnyx(url, body, telnyxHeaders(body, stale))).status, 401, "older than the tolerance");
    assert.equal((await postTelnyx(url, body, telnyxHeaders(body, Math.floor(Date.now() / 1000) + 400))).status, 401, "from the future");
    const headers = telnyxHeaders(body, Math.floor(Date.now() / 1000) - 5);
    assert.equal((await postTelnyx(url, body, { ...headers, "telnyx-timestamp": String(Number(headers["telnyx-timestamp"]) + 1) })).status, 401, "timestamp changed");
    assert.equal((await messagesOf(org, number.id)).totalCount, 0, "nothing refused was stored");

    const accepted = await postTelnyx(url, body, headers);
    assert.deepEqual([accepted.status, accepted.body.status], [200, "STORED"]);
    const replayed = await postTelnyx(url, body, headers);
    assert.equal(replayed.status, 409, "the very same signed delivery again is a replay");
    assert.equal((await messagesOf(org, number.id)).totalCount, 1);
  });

  test("a delivery the carrier retries is stored once; the sandbox route works the same way", async () => {
    const url = await (await getEnvironment()).url();
    const org = await createOrganization("msg-retry");
    const number = await smsNumber(org);
    const sender = uniqueE164();
    const body = inboundMessage(sender, number.e164, "Is my order shipped?", { eventId: "evt-retry-1", media: ["https://cdn.example.com/a.jpg"] });
    // Telnyx re-signs each retry with a new timestamp.
    const first = await postTelnyx(url, body, telnyxHeaders(body, Math.floor(Date.now() / 1000) - 2));
    const retry = await postTelnyx(url, body, telnyxHeaders(body, Math.floor(Date.now() / 1000) - 1));
    const concurrent = await Promise.all([postTelnyx(url, body), postTelnyx(url, body, telnyxHeaders(body, Math.floor(Date.now() / 1000) + 1))]);
    assert.deepEqual([first.body.status, retry.body.status, ...concurrent.map((d) => d.body.status)], ["STORED", "DUPLICATE", "DUPLICATE", "DUPLICATE"]);
    const page = await messagesOf(org, number.id);
    assert.equal(page.totalCount, 1);
    assert.deepEqual(
      { ...page.edges[0]!.node, id: undefined, createdAt: undefined },
      { id: undefined, createdAt: undefined, body: "Is my order shipped?", direction: "INBOUND", from: sender, status: "RECEIVED", to: number.e164, toReleasedNumber: false, mediaUrls: ["https://cdn.example.com/a.jpg"] },
    );

    const sandboxBody = inboundMessage(uniqueE164(), number.e164, "via sandbox", { eventId: "sbx-evt-1" });
    assert.equal((await postSandbox(url, sandboxBody)).body.status, "STORED");
    const retriedAt = Math.floor(Date.now() / 1000) - 60;
    assert.equal((await postSandbox(url, sandboxBody, retriedAt)).body.status, "DUPLICATE", "a retry, signed at another time");
    assert.equal((await postSandbox(url, sandboxBody, retriedAt)).status, 409, "the same signed delivery again");
    assert.equal((await messagesOf(org, number.id)).totalCount, 2);
    const prisma = (await getEnvironment()).switchboard.database.prisma;
    const events = await prisma.event.findMany({ where: { organizationId: org.id, type: "MESSAGE_RECEIVED" } });
    assert.equal(events.length, 2, "one event per stored message, none for retries");
  });

  test("an inbound message reaches the organization's subscribers, and no other organization sees it", async () => {
    const url = await (await getEnvironment()).url();
    const org = await createOrganization("msg-sub");
    const other = await createOrganization("msg-sub-other");
    const number = await smsNumber(org);
    const quiet = await smsNumber(org);
    const otherNumber = await smsNumber(other);

    const client = wsClient(url, { apiKey: org.secret });
    const otherClient = wsClient(url, { apiKey: other.secret });
    closers.push(() => client.dispose() as Promise<void>, () => otherClient.dispose() as Promise<void>);
    const all = await subscribe(client, Received);
    const onlyQuiet = await subscribe(client, Received, { phoneNumberId: quiet.id });
    const otherAll = await subscribe(otherClient, Received);

    const sender = uniqueE164();
    assert.equal((await postTelnyx(url, inboundMessage(sender, number.e164, "ping"))).body.status, "STORED");
    const event = (await all.next()).data!.messageReceived;
    assert.deepEqual([event.body, event.from, event.phoneNumber.id], ["ping", sender, number.id]);

    // The other organization's stream stays quiet: its next event is its own number's message.
    await postTelnyx(url, inboundMessage(sender, otherNumber.e164, "theirs"));
    assert.equal((await otherAll.next()).data!.messageReceived.body, "theirs");
    // And the per-number filter skipped "ping".
    await postTelnyx(url, inboundMessage(sender, quiet.e164, "for quiet"));
    assert.equal((await onlyQuiet.next()).data!.messageReceived.body, "for quiet");

    // Reads are scoped too: another organization's message and number ids resolve to null.
    assert.equal((await other.client.data(MessageNode, { id: event.id })).node, null);
    assert.equal((await other.client.data(NumberMessages, { id: number.id })).node, null);
    const theirs = (await other.client.data(OrgMessages, { filter: null })).messages!;
    assert.deepEqual(theirs.edges.map((e) => e.node.body), ["theirs"]);
    const ours = (await org.client.data(OrgMessages, { filter: null })).messages!;
    assert.deepEqual(ours.edges.map((e) => e.node.body).sort(), ["for quiet", "ping"]);

    // Sending needs messages:send, and another organization's number is not found.
    const readOnly = await org.clientWithScopes(["messages:read", "numbers:read"]);
    const forbidden = await readOnly.request(Send, { input: { phoneNumberId: number.id, to: sender, body: "hi" } });
    assert.equal(forbidden.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const foreign = (await other.client.data(Send, { input: { phoneNumberId: number.id, to: sender, body: "hi" } })).sendMessage;
    assert.equal(foreign.__typename, "NotFoundError");
    // A message to a number nobody holds is acknowledged (so the carrier stops retrying) and dropped.
    const nobody = await postTelnyx(url, inboundMessage(sender, uniqueE164(), "anyone?"));
    assert.deepEqual([nobody.status, nobody.body.status], [200, "UNKNOWN_NUMBER"]);

    // Without messages:read, the list is refused.
    const numbersOnly = await org.clientWithScopes(["numbers:read"]);
    const refused = await numbersOnly.request(OrgMessages, { filter: null });
    assert.equal(refused.errors?.[0]?.extensions?.code, "FORBIDDEN");
  });

  test("messageReceived also streams over Server-Sent Events", async () => {
    const url = await (await getEnvironment()).url();
    const org = await createOrganization("msg-sse");
    const number = await smsNumber(org);
    const controller = new AbortController();
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", "x-api-key": org.secret },
      body: JSON.stringify({ query: "subscription ($id: ID) { messageReceived(phoneNumberId: $id) { body phoneNumber { e164 } } }", variables: { id: number.id } }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    // The stream is open once headers arrive; yoga subscribes before it sends them.
    await postTelnyx(url, inboundMessage(uniqueE164(), number.e164, "over SSE"));
    let text = "";
    while (!text.includes("\n\n") || !text.includes("data:")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const data = JSON.parse(text.split("\n").find((line) => line.startsWith("data:"))!.slice(5));
    assert.deepEqual(data.data.messageReceived, { body: "over SSE", phoneNumber: { e164: number.e164 } });
    controller.abort();
  });

  test("sendMessage: validation, the 10DLC gate, the outbox (QUEUED, then SENT or FAILED), and delivery statuses that never move backwards", async () => {
    const env = await getEnvironment();
    const url = await env.url();
    const org = await createOrganization("msg-send");
    const number = await smsNumber(org);
    const recipient = uniqueE164();

    const invalid = (await org.client.data(Send, { input: { phoneNumberId: number.id, to: "12345", body: "hi", mediaUrls: ["http://example.com/a.png"] } })).sendMessage;
    assert.deepEqual(
      as(invalid, "ValidationError").fieldErrors.map((e) => [e.path.join("."), e.code]).sort(),
      [["input.mediaUrls.0", "INVALID_FORMAT"], ["input.to", "INVALID_E164"]],
    );
    // A body over 1600 characters is refused before those rules run (input hygiene).
    const long = (await org.client.data(Send, { input: { phoneNumberId: number.id, to: recipient, body: "x".repeat(1601) } })).sendMessage;
    assert.deepEqual(as(long, "ValidationError").fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.body", "TOO_LONG"]]);
    const voiceOnly = as((await org.client.data(CreateNumber, { input: { e164: uniqueE164() } })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
    const notCapable = as((await org.client.data(Send, { input: { phoneNumberId: voiceOnly.id, to: recipient, body: "hi" } })).sendMessage, "ValidationError");
    assert.deepEqual(notCapable.fieldErrors.map((e) => e.path.join(".")), ["input.phoneNumberId"]);

    const sentBefore = env.switchboard.services.carriers.sandbox.sent.length;
    const gated = as((await org.client.data(Send, { input: { phoneNumberId: number.id, to: recipient, body: "hi" } })).sendMessage, "VerificationRequiredError");
    assert.deepEqual([gated.code, gated.missing, gated.verificationStatus, gated.smsCampaignStatus], [
      "VERIFICATION_REQUIRED",
      ["VERIFICATION_APPROVED", "CAMPAIGN_ASSIGNED"],
      "MISSING",
      null,
    ]);
    assert.equal(env.switchboard.services.carriers.sandbox.sent.length, sentBefore, "nothing reached the carrier");

    await approveForSms(org, number.id);
    const input = { phoneNumberId: number.id, to: recipient, body: "Your order shipped", idempotencyKey: "order-42-shipped" };
    const queued = as((await org.client.data(Send, { input })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.deepEqual([queued.status, queued.from, queued.to, queued.direction], ["QUEUED", number.e164, recipient, "OUTBOUND"], "accepted into the outbox");
    const sent = await settled(org, queued.id);
    assert.equal(sent.status, "SENT", "the sender delivered it shortly after");
    assert.ok(sent.carrierMessageId && sent.sentAt);
    assert.equal(sent.sendAttempts, 1);
    const again = as((await org.client.data(Send, { input })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.deepEqual([again.id, again.status, again.carrierMessageId], [queued.id, "SENT", sent.carrierMessageId], "the same key returns the message as it stands now");
    assert.equal(env.switchboard.services.carriers.sandbox.sent.filter((m) => m.carrierMessageId === sent.carrierMessageId).length, 1);

    // Ten concurrent sends with one new key text the recipient once.
    const sandbox = env.switchboard.services.carriers.sandbox;
    const burst = { ...input, idempotencyKey: "burst-1", body: "burst" };
    const results = await Promise.all(Array.from({ length: 10 }, () => org.client.data(Send, { input: burst })));
    const ids = new Set(results.map((r) => as(r.sendMessage, "SendMessageSuccess").sentMessage.id));
    assert.equal(ids.size, 1);
    assert.equal((await settled(org, [...ids][0]!)).status, "SENT");
    assert.equal(sandbox.sent.filter((m) => m.text === "burst").length, 1);
    // The carrier is unavailable twice, then recovers: SENT after retries, sent once.
    sandbox.faults.unavailableNext = 2;
    const flaky = as((await org.client.data(Send, { input: { ...input, idempotencyKey: "flaky-1", body: "flaky" } })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.equal(flaky.status, "QUEUED");
    const recovered = await settled(org, flaky.id);
    assert.deepEqual([recovered.status, recovered.sendAttempts, recovered.failureReason], ["SENT", 3, null]);
    assert.equal(sandbox.sent.filter((m) => m.text === "flaky").length, 1);
    // The carrier took it but the answer was lost (a timeout): asked again with the same reference, it
    // answers with the first message, so the recipient gets one text.
    sandbox.faults.timeoutAfterSendNext = 1;
    const unsure = as((await org.client.data(Send, { input: { ...input, idempotencyKey: "unsure-1", body: "unsure" } })).sendMessage, "SendMessageSuccess").sentMessage;
    const resolved = await settled(org, unsure.id);
    assert.deepEqual([resolved.status, resolved.sendAttempts], ["SENT", 2]);
    assert.equal(sandbox.sent.filter((m) => m.text === "unsure").length, 1);
    const atCarrier = sandbox.acceptedMessages().filter((m) => m.text === "unsure");
    assert.deepEqual(atCarrier.map((m) => [m.carrierMessageId, m.requests]), [[resolved.carrierMessageId, 2]]);
    // The carrier keeps failing: FAILED after the last attempt, with why; the repeated key says so too.
    sandbox.faults.unavailableNext = 1_000;
    let gaveUp: MessageState;
    try {
      const doomed = as((await org.client.data(Send, { input: { ...input, idempotencyKey: "doomed-1", body: "doomed" } })).sendMessage, "SendMessageSuccess").sentMessage;
      gaveUp = await settled(org, doomed.id);
    } finally {
      sandbox.faults.unavailableNext = 0;
    }
    assert.deepEqual([gaveUp.status, gaveUp.errorCode, gaveUp.sendAttempts, gaveUp.carrierMessageId], ["FAILED", "CARRIER_UNAVAILABLE", 4, null]);
    assert.match(gaveUp.failureReason ?? "", /4 attempts/);
    const repeatedDoomed = as((await org.client.data(Send, { input: { ...input, idempotencyKey: "doomed-1", body: "doomed" } })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.equal(repeatedDoomed.status, "FAILED", "a repeat never calls a failed message sent");
    assert.equal(sandbox.sent.filter((m) => m.text === "doomed").length, 0);

    // Out of order: delivered arrives before sent; the late sent changes nothing.
    assert.equal((await postSandbox(url, statusUpdate(sent.carrierMessageId!, "message.finalized", "delivered"))).body.status, "UPDATED");
    assert.equal((await postSandbox(url, statusUpdate(sent.carrierMessageId!, "message.sent", "sent"))).body.status, "IGNORED");
    const final = (await org.client.data(MessageNode, { id: sent.id })).node as { status: string; deliveredAt: string | null; sentAt: string | null };
    assert.equal(final.status, "DELIVERED");
    assert.ok(final.deliveredAt);

    const otherQueued = as((await org.client.data(Send, { input: { phoneNumberId: number.id, to: uniqueE164(), body: "second" } })).sendMessage, "SendMessageSuccess").sentMessage;
    const other = { id: otherQueued.id, carrierMessageId: (await settled(org, otherQueued.id)).carrierMessageId };
    await postSandbox(url, statusUpdate(other.carrierMessageId!, "message.sent", "sent"));
    await postSandbox(url, statusUpdate(other.carrierMessageId!, "message.finalized", "delivery_failed", "40008"));
    const failed = (await org.client.data(MessageNode, { id: other.id })).node as { status: string; errorCode: string | null; sentAt: string | null };
    assert.deepEqual([failed.status, failed.errorCode, Boolean(failed.sentAt)], ["FAILED", "40008", true]);
    const moves = await env.switchboard.database.prisma.event.findMany({
      where: { organizationId: org.id, type: "MESSAGE_STATUS_CHANGED" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const { decodeId } = await import("../src/domain/global-id.ts");
    const movesOf = (id: string) => {
      const rowId = (decodeId(id, "Message", []) as { id: string }).id;
      return moves.filter((e) => (e.payload as { messageId: string }).messageId === rowId).map((e) => (e.payload as { status: string }).status);
    };
    assert.deepEqual(movesOf(queued.id), ["SENT", "DELIVERED"], "each real move recorded once; the late sent recorded nothing");
    assert.deepEqual(movesOf(other.id), ["SENT", "FAILED"]);
    assert.deepEqual(movesOf(flaky.id), ["SENT"], "retries are not moves");
    // A status webhook for another carrier's message id changes nothing here.
    assert.equal((await postTelnyx(url, statusUpdate(other.carrierMessageId!, "message.finalized", "delivered"))).body.status, "IGNORED");
  });

  test("twenty concurrent callers with one key while the carrier hangs: each answer is the message's true state, and it is sent once", async () => {
    const env = await getEnvironment();
    const sandbox = env.switchboard.services.carriers.sandbox;
    const org = await createOrganization("msg-hang");
    const number = await smsNumber(org);
    await approveForSms(org, number.id);
    const input = { phoneNumberId: number.id, to: uniqueE164(), body: "while hanging", idempotencyKey: "hang-1" };
    // The first carrier call hangs past the deadline (nothing reaches the carrier); the retry gets through.
    sandbox.faults.hangNext = 1;
    const answers = await Promise.all(Array.from({ length: 20 }, () => org.client.data(Send, { input })));
    const messages = answers.map((a) => as(a.sendMessage, "SendMessageSuccess").sentMessage);
    assert.equal(new Set(messages.map((m) => m.id)).size, 1);
    assert.ok(messages.every((m) => m.status === "QUEUED" || m.status === "SENT"), messages.map((m) => m.status).join());
    const final = await settled(org, messages[0]!.id);
    assert.deepEqual([final.status, final.sendAttempts], ["SENT", 2]);
    assert.equal(sandbox.sent.filter((m) => m.text === "while hanging").length, 1);
    const repeat = as((await org.client.data(Send, { input })).sendMessage, "SendMessageSuccess").sentMessage;
    assert.equal(repeat.status, "SENT");
  });

  test("a status that overtakes the carrier's answer to the send is asked again, then applied", async () => {
    const env = await getEnvironment();
    const url = await env.url();
    const prisma = env.switchboard.database.prisma;
    const org = await createOrganization("msg-overtake");
    const number = await smsNumber(org);
    const { decodeId } = await import("../src/domain/global-id.ts");
    const phoneNumberId = (decodeId(number.id, "PhoneNumber", []) as { id: string }).id;
    // A send waiting for the carrier's answer: written, no carrier id yet.
    const inFlight = await prisma.message.create({
      data: { organizationId: org.id, phoneNumberId, direction: "OUTBOUND", from: number.e164, to: uniqueE164(), body: "racing", mediaUrls: [], status: "QUEUED", carrier: "sandbox" },
    });
    const carrierMessageId = `sbx_msg_overtaking_${inFlight.id}`;
    const early = await postSandbox(url, statusUpdate(carrierMessageId, "message.finalized", "delivered"));
    assert.deepEqual([early.status, early.body.status], [503, "RETRY_LATER"], "the carrier redelivers it");
    await prisma.message.update({ where: { id: inFlight.id }, data: { carrierMessageId } });
    const redelivered = await postSandbox(url, statusUpdate(carrierMessageId, "message.finalized", "delivered"));
    assert.deepEqual([redelivered.status, redelivered.body.status], [200, "UPDATED"]);
    assert.equal((await prisma.message.findUniqueOrThrow({ where: { id: inFlight.id } })).status, "DELIVERED");
    // Without a send in flight, a status for an unknown message is acknowledged and ignored.
    const unknown = await postSandbox(url, statusUpdate("sbx_msg_nobody_sent", "message.sent", "sent"));
    assert.deepEqual([unknown.status, unknown.body.status], [200, "IGNORED"]);
  });

  test("STOP opts a sender out (and is answered), sending to them is refused, START opts back in, HELP gets the help text", async () => {
    const env = await getEnvironment();
    const url = await env.url();
    const org = await createOrganization("msg-optout");
    const number = await smsNumber(org);
    await approveForSms(org, number.id);
    const sender = uniqueE164();
    const repliesTo = () => env.switchboard.services.carriers.sandbox.sent.filter((m) => m.to === sender).map((m) => m.text);

    await postSandbox(url, inboundMessage(sender, number.e164, " Unsubscribe "));
    await eventually(() => repliesTo().length === 1, "the opt-out was answered");
    const listed = (await org.client.data(OptOuts, { phoneNumberId: number.id })).optOuts!;
    assert.deepEqual(listed.edges.map((e) => e.node), [{ recipient: sender, keyword: "UNSUBSCRIBE" }]);
    assert.match(repliesTo().at(-1)!, /unsubscribed/);

    const refused = as((await org.client.data(Send, { input: { phoneNumberId: number.id, to: sender, body: "promo" } })).sendMessage, "RecipientOptedOutError");
    assert.deepEqual([refused.code, refused.recipient], ["OPTED_OUT", sender]);

    await postSandbox(url, inboundMessage(sender, number.e164, "START"));
    await eventually(() => repliesTo().length === 2, "the opt-in was answered");
    assert.equal((await org.client.data(OptOuts, { phoneNumberId: number.id })).optOuts!.totalCount, 0);
    as((await org.client.data(Send, { input: { phoneNumberId: number.id, to: sender, body: "welcome back" } })).sendMessage, "SendMessageSuccess");
    await eventually(() => repliesTo().length === 3, "welcome back was sent");

    as((await org.client.data(SetHelp, { input: { helpText: "Acme support: help@acme.example.com" } })).setSmsHelpText, "SetSmsHelpTextSuccess");
    await postSandbox(url, inboundMessage(sender, number.e164, "help"));
    await eventually(() => repliesTo().length === 4, "HELP was answered");
    assert.equal(repliesTo().at(-1), "Acme support: help@acme.example.com");
    // Keywords and their answers are kept in the number's history.
    const history = await messagesOf(org, number.id);
    assert.equal(history.edges.filter((e) => e.node.direction === "OUTBOUND").length, 4);
  });

  test("pagination in both directions with time, direction and text filters", async () => {
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    const org = await createOrganization("msg-pages");
    const number = await smsNumber(org);
    const { decodeId } = await import("../src/domain/global-id.ts");
    const phoneNumberId = (decodeId(number.id, "PhoneNumber", []) as { id: string }).id;
    const base = Date.parse("2026-01-01T00:00:00Z");
    // Nine messages a minute apart; two share a time, so the id must break the tie.
    const times = [0, 1, 2, 3, 3, 5, 6, 7, 8].map((minutes) => new Date(base + minutes * 60_000));
    await prisma.message.createMany({
      data: times.map((createdAt, i) => ({
        organizationId: org.id,
        phoneNumberId,
        direction: i % 3 === 0 ? ("OUTBOUND" as const) : ("INBOUND" as const),
        from: i % 3 === 0 ? number.e164 : "+14155550123",
        to: i % 3 === 0 ? "+14155550123" : number.e164,
        body: `message ${i}${i === 4 ? " 100%" : ""}`,
        mediaUrls: [],
        status: i % 3 === 0 ? ("DELIVERED" as const) : ("RECEIVED" as const),
        carrier: "sandbox",
        createdAt,
      })),
    });

    const forward: string[] = [];
    let after: string | null | undefined;
    for (;;) {
      const page = await messagesOf(org, number.id, { first: 4, after });
      forward.push(...page.edges.map((e) => e.node.body.split(" ")[1]!));
      assert.equal(page.totalCount, 9);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const backward: string[] = [];
    let before: string | null | undefined;
    for (;;) {
      const page = await messagesOf(org, number.id, { first: null, last: 4, before });
      backward.unshift(...page.edges.map((e) => e.node.body.split(" ")[1]!));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    assert.equal(forward.length, 9);
    assert.deepEqual(backward, forward, "both directions list the same rows in the same order");
    assert.deepEqual([forward.slice(0, 3), forward.slice(5)], [["0", "1", "2"], ["5", "6", "7", "8"]]);

    const window = { createdAfter: new Date(base + 2 * 60_000).toISOString(), createdBefore: new Date(base + 7 * 60_000).toISOString() };
    const inWindow = await messagesOf(org, number.id, { filter: window });
    assert.deepEqual(inWindow.edges.map((e) => e.node.body.split(" ")[1]).sort(), ["2", "3", "4", "5", "6"]);
    assert.equal(inWindow.totalCount, 5);
    const lastTwo = await messagesOf(org, number.id, { first: null, last: 2, filter: window });
    assert.deepEqual(lastTwo.edges.map((e) => e.node.body.split(" ")[1]), ["5", "6"]);
    assert.equal(lastTwo.pageInfo.hasPreviousPage, true);

    const outbound = await messagesOf(org, number.id, { filter: { ...window, direction: "OUTBOUND" } });
    assert.deepEqual(outbound.edges.map((e) => e.node.body), ["message 3", "message 6"]);
    const text = await messagesOf(org, number.id, { filter: { text: "100%" } });
    assert.deepEqual(text.edges.map((e) => e.node.body), ["message 4 100%"]);
    assert.equal((await messagesOf(org, number.id, { filter: { text: "(415) 555-0123" } })).totalCount, 9, "the other party's number, by digits");
    const orgWide = (await org.client.data(OrgMessages, { filter: window })).messages!;
    assert.equal(orgWide.totalCount, 5);
  });

  test("a released number keeps its messages; a message to it afterwards is kept, marked and never routed", async () => {
    const url = await (await getEnvironment()).url();
    const org = await createOrganization("msg-release");
    const number = await smsNumber(org);
    const sender = uniqueE164();
    await postTelnyx(url, inboundMessage(sender, number.e164, "before release"));
    assert.equal((await org.client.data(Release, { input: { id: number.id } })).releasePhoneNumber.__typename, "ReleasePhoneNumberSuccess");

    const client = wsClient(url, { apiKey: org.secret });
    closers.push(() => client.dispose() as Promise<void>);
    const events = await subscribe(client, Received);
    assert.equal((await postTelnyx(url, inboundMessage(sender, number.e164, "after release"))).body.status, "STORED");
    // The next event is the live number's message: nothing was published for the released one.
    const live = await smsNumber(org);
    await postTelnyx(url, inboundMessage(sender, live.e164, "to the live number"));
    assert.equal((await events.next()).data!.messageReceived.body, "to the live number");

    const page = await messagesOf(org, number.id);
    assert.deepEqual(
      page.edges.map((e) => [e.node.body, e.node.toReleasedNumber]),
      [["before release", false], ["after release", true]],
    );
    const sent = as((await org.client.data(Send, { input: { phoneNumberId: number.id, to: sender, body: "hi" } })).sendMessage, "NumberReleasedError");
    assert.equal(sent.code, "NUMBER_RELEASED");

    // Once another organization holds the number, its messages go there, not to the releasing one.
    const next = await createOrganization("msg-release-next");
    await smsNumber(next, number.e164);
    await postTelnyx(url, inboundMessage(sender, number.e164, "for the new owner"));
    assert.deepEqual((await next.client.data(OrgMessages, { filter: null })).messages!.edges.map((e) => e.node.body), ["for the new owner"]);
    assert.equal((await messagesOf(org, number.id)).totalCount, 2);
  });
});

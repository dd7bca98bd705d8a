import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createApiKey } from "../src/apikeys/service.ts";
import type { Carriers } from "../src/carriers/index.ts";
import type { PrismaClient } from "../src/db/client.ts";
import { decodeId } from "../src/domain/global-id.ts";
import { createLogger } from "../src/logger.ts";
import { MessageService } from "../src/messages/service.ts";
import { graphql } from "./generated/gql.ts";
import { Client, createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";
import { as } from "./helpers/verification.ts";

// The sandbox as a developer with an sb_test_ key meets it: a sent message walks QUEUED -> SENT ->
// DELIVERED by itself (the sandbox reports delivery the way a carrier's status webhook does), two
// test recipients fail on purpose, and simulateInboundMessage receives a text without signing a
// webhook, with everything a real inbound text does (the list, the subscription, STOP and HELP).

const CreateNumber = graphql(`
  mutation SbxCreateNumber($input: CreateManualPhoneNumberInput!) {
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

const Send = graphql(`
  mutation SbxSend($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess {
        sentMessage {
          id
          status
          carrier
        }
      }
      ... on RecipientOptedOutError {
        code
        recipient
      }
    }
  }
`);

const MessageNode = graphql(`
  query SbxMessage($id: ID!) {
    node(id: $id) {
      ... on Message {
        id
        status
        carrierMessageId
        errorCode
        failureReason
        sentAt
        deliveredAt
        failedAt
      }
    }
  }
`);

const Simulate = graphql(`
  mutation SbxSimulate($input: SimulateInboundMessageInput!) {
    simulateInboundMessage(input: $input) {
      __typename
      ... on SimulateInboundMessageSuccess {
        inboundMessage {
          id
          direction
          status
          carrier
          from
          to
          body
          mediaUrls
          phoneNumber {
            id
          }
        }
      }
      ... on Error {
        code
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

const Inbox = graphql(`
  query SbxInbox {
    messages(first: 50, filter: { direction: INBOUND }) {
      totalCount
      edges {
        node {
          id
          body
          from
        }
      }
    }
  }
`);

const OptOuts = graphql(`
  query SbxOptOuts($phoneNumberId: ID) {
    optOuts(first: 10, phoneNumberId: $phoneNumberId) {
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
  mutation SbxSetHelp($input: SetSmsHelpTextInput!) {
    setSmsHelpText(input: $input) {
      __typename
    }
  }
`);

const Received = graphql(`
  subscription SbxReceived($phoneNumberId: ID) {
    messageReceived(phoneNumberId: $phoneNumberId) {
      id
      body
      from
    }
  }
`);

type MessageState = {
  id: string;
  status: string;
  carrierMessageId: string | null;
  errorCode: string | null;
  failureReason: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
};

const rowId = (id: string, typename: string) => (decodeId(id, typename, []) as { id: string }).id;

/** An organization and a client holding an all-scopes sb_test_ key of it (test keys always use the sandbox). */
async function withTestKey(name: string): Promise<{ org: TestOrganization; test: Client; secret: string }> {
  const env = await getEnvironment();
  const org = await createOrganization(name);
  const { secret } = await createApiKey(env.switchboard.database.prisma, org.id, { name: "sandbox", scopes: ["*"], mode: "TEST" });
  assert.match(secret, /^sb_test_/);
  return { org, test: new Client(env, { "x-api-key": secret }), secret };
}

/** A Canadian SMS number (no 10DLC gate, so sends and replies go out at once). */
async function smsNumber(client: Client, options: { sms?: boolean } = {}): Promise<{ id: string; e164: string }> {
  const created = await client.data(CreateNumber, { input: { e164: uniqueE164("+1416"), capabilities: { sms: options.sms ?? true } } });
  return as(created.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
}

/** Polls the message until `done` holds (a busy machine is slow, never wrong). */
async function until(client: Client, id: string, done: (m: MessageState) => boolean, what: string): Promise<MessageState> {
  let last: MessageState | null = null;
  for (let i = 0; i < 400; i++) {
    last = (await client.data(MessageNode, { id })).node as MessageState | null;
    assert.ok(last, "the message is readable");
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`${what}; last seen ${JSON.stringify(last)}`);
}

/** The MESSAGE_STATUS_CHANGED events of one message, oldest first: [status, carrierEventId]. */
async function statusEvents(organizationId: string, messageId: string): Promise<Array<[string, string | undefined]>> {
  const prisma = (await getEnvironment()).switchboard.database.prisma;
  const events = await prisma.event.findMany({ where: { organizationId, type: "MESSAGE_STATUS_CHANGED", subjectId: rowId(messageId, "Message") }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return events.map((e) => {
    const payload = e.payload as { status: string; carrierEventId?: string };
    return [payload.status, payload.carrierEventId];
  });
}

describe("the sandbox plays the whole message lifecycle", () => {
  const closers: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  test("a test key's message goes QUEUED -> SENT -> DELIVERED by itself; 555-0404 ends FAILED with the carrier's reason; 555-0400 is refused", async () => {
    const env = await getEnvironment();
    const sandbox = env.switchboard.services.carriers.sandbox;
    const { org, test: client } = await withTestKey("sbx-lifecycle");
    const number = await smsNumber(client);
    // What SANDBOX_DELIVERY_DELAY_MS sets; the test run's server starts with reports off.
    sandbox.deliveryDelayMs = 50;
    try {
      const queued = as((await client.data(Send, { input: { phoneNumberId: number.id, to: uniqueE164(), body: "Your order shipped" } })).sendMessage, "SendMessageSuccess").sentMessage;
      assert.deepEqual([queued.status, queued.carrier], ["QUEUED", "sandbox"]);
      const delivered = await until(client, queued.id, (m) => m.status === "DELIVERED", "the message was never DELIVERED");
      assert.ok(delivered.sentAt && delivered.deliveredAt && delivered.carrierMessageId?.startsWith("sbx_msg_"));
      assert.deepEqual([delivered.errorCode, delivered.failureReason, delivered.failedAt], [null, null, null]);
      // Two real moves, each recorded once; the delivery came through the carrier webhook path (it names the carrier's event).
      const moves = await statusEvents(org.id, queued.id);
      assert.deepEqual(moves.map(([status]) => status), ["SENT", "DELIVERED"]);
      assert.match(moves[1]![1] ?? "", /^sbx_evt_/);

      // Reported at once: the report may overtake the sender's own record of the send, and is then delivered again.
      sandbox.deliveryDelayMs = 0;
      const prompt = as((await client.data(Send, { input: { phoneNumberId: number.id, to: uniqueE164(), body: "no delay" } })).sendMessage, "SendMessageSuccess").sentMessage;
      await until(client, prompt.id, (m) => m.status === "DELIVERED", "the promptly reported message was never DELIVERED");
      assert.deepEqual((await statusEvents(org.id, prompt.id)).map(([status]) => status), ["SENT", "DELIVERED"]);

      // The undeliverable test recipient: taken (SENT), then reported failed with Telnyx's code and words.
      const undeliverable = `+1${number.e164.slice(2, 5)}5550404`;
      const doomed = as((await client.data(Send, { input: { phoneNumberId: number.id, to: undeliverable, body: "nobody home" } })).sendMessage, "SendMessageSuccess").sentMessage;
      const failed = await until(client, doomed.id, (m) => m.status === "FAILED", "the undeliverable message never FAILED");
      assert.equal(failed.errorCode, "40008");
      assert.ok(failed.sentAt && failed.failedAt && !failed.deliveredAt);
      assert.match(failed.failureReason ?? "", /^sandbox reported the delivery failed: code 40008: Undeliverable/);
      assert.deepEqual((await statusEvents(org.id, doomed.id)).map(([status]) => status), ["SENT", "FAILED"]);

      // The rejected test recipient: refused when sent, never SENT, asked once.
      const rejected = as((await client.data(Send, { input: { phoneNumberId: number.id, to: "+12025550400", body: "refused" } })).sendMessage, "SendMessageSuccess").sentMessage;
      const refused = await until(client, rejected.id, (m) => m.status !== "QUEUED", "the rejected message stayed QUEUED");
      assert.deepEqual([refused.status, refused.errorCode, refused.sentAt, refused.carrierMessageId], ["FAILED", "CARRIER_REJECTED", null, null]);
      assert.match(refused.failureReason ?? "", /cannot receive messages/);
      assert.equal(sandbox.sent.filter((m) => m.text === "refused").length, 0, "nothing was texted");

      for (let i = 0; i < 200 && sandbox.pendingReports() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal(sandbox.pendingReports(), 0, "every report was taken");
    } finally {
      sandbox.deliveryDelayMs = null;
    }
  });

  test("simulateInboundMessage: a test key receives a text without signing anything; it is listed and streamed, STOP opts the sender out, HELP is answered", async () => {
    const env = await getEnvironment();
    const url = await env.url();
    const sandbox = env.switchboard.services.carriers.sandbox;
    const { org, test: client, secret } = await withTestKey("sbx-inbound");
    const number = await smsNumber(client);
    const sender = uniqueE164();
    const repliesTo = () => sandbox.sent.filter((m) => m.to === sender).map((m) => m.text);

    const ws = wsClient(url, { apiKey: secret });
    closers.push(() => ws.dispose() as Promise<void>);
    const stream = await subscribe(ws, Received, { phoneNumberId: number.id });

    // By E.164 (written any common way): stored as an inbound sandbox message and streamed.
    const hello = as((await client.data(Simulate, { input: { to: `+1 (${number.e164.slice(2, 5)}) ${number.e164.slice(5, 8)}-${number.e164.slice(8)}`, from: sender, text: "Is my order shipped?" } })).simulateInboundMessage, "SimulateInboundMessageSuccess").inboundMessage;
    assert.deepEqual(
      { ...hello, id: undefined },
      { id: undefined, direction: "INBOUND", status: "RECEIVED", carrier: "sandbox", from: sender, to: number.e164, body: "Is my order shipped?", mediaUrls: [], phoneNumber: { id: number.id } },
    );
    const streamed = (await stream.next()).data!.messageReceived;
    assert.deepEqual(streamed, { id: hello.id, body: "Is my order shipped?", from: sender });
    const inbox = (await client.data(Inbox)).messages!;
    assert.deepEqual(inbox.edges.map((e) => e.node), [{ id: hello.id, body: "Is my order shipped?", from: sender }]);
    const prisma = env.switchboard.database.prisma;
    const received = await prisma.event.findMany({ where: { organizationId: org.id, type: "MESSAGE_RECEIVED" } });
    assert.deepEqual(received.map((e) => e.subjectId), [rowId(hello.id, "Message")], "recorded once as an event, like a carrier's webhook");

    // STOP, to the number given by its id: the sender is opted out and told so (through the sandbox); sending to them is refused.
    as((await client.data(Simulate, { input: { phoneNumberId: number.id, from: sender, text: "STOP" } })).simulateInboundMessage, "SimulateInboundMessageSuccess");
    assert.equal((await stream.next()).data!.messageReceived.body, "STOP");
    const optOuts = (await client.data(OptOuts, { phoneNumberId: number.id })).optOuts;
    assert.deepEqual(optOuts.edges.map((e) => e.node), [{ recipient: sender, keyword: "STOP" }]);
    for (let i = 0; i < 200 && repliesTo().length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.match(repliesTo()[0] ?? "", /unsubscribed/);
    const refused = as((await client.data(Send, { input: { phoneNumberId: number.id, to: sender, body: "promo" } })).sendMessage, "RecipientOptedOutError");
    assert.deepEqual([refused.code, refused.recipient], ["OPTED_OUT", sender]);

    // HELP gets the organization's help text.
    as((await client.data(SetHelp, { input: { helpText: "Acme support: help@acme.example.com" } })).setSmsHelpText, "SetSmsHelpTextSuccess");
    as((await client.data(Simulate, { input: { phoneNumberId: number.id, from: sender, text: "help" } })).simulateInboundMessage, "SimulateInboundMessageSuccess");
    for (let i = 0; i < 200 && repliesTo().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(repliesTo()[1], "Acme support: help@acme.example.com");
    assert.equal((await client.data(Inbox)).messages!.totalCount, 3);
    await stream.close();
  });

  test("simulateInboundMessage refuses what a carrier would never deliver, with typed errors", async () => {
    const env = await getEnvironment();
    const { org, test: client } = await withTestKey("sbx-inbound-errors");
    const number = await smsNumber(client);
    const voiceOnly = await smsNumber(client, { sms: false });
    const simulate = async (input: { phoneNumberId?: string; to?: string; from: string; text: string; mediaUrls?: string[] }) => (await client.data(Simulate, { input })).simulateInboundMessage;

    const malformed = as(await simulate({ to: "not a number", from: "12", text: "hi", mediaUrls: ["http://example.com/a.png"] }), "ValidationError");
    assert.deepEqual(malformed.fieldErrors.map((e) => [e.path.join("."), e.code]).sort(), [["input.from", "INVALID_E164"], ["input.mediaUrls.0", "INVALID_FORMAT"], ["input.to", "INVALID_E164"]]);
    const neither = as(await simulate({ from: uniqueE164(), text: "hi" }), "ValidationError");
    assert.deepEqual(neither.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.phoneNumberId", "REQUIRED"]]);
    const both = as(await simulate({ phoneNumberId: number.id, to: number.e164, from: uniqueE164(), text: "hi" }), "ValidationError");
    assert.deepEqual(both.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.to", "INVALID_VALUE"]]);
    assert.deepEqual(as(await simulate({ phoneNumberId: "UGhvbmVOdW1iZXI6bm9wZQ==", from: uniqueE164(), text: "hi" }), "ValidationError").fieldErrors.map((e) => e.code), ["INVALID_ID"]);
    assert.equal(as(await simulate({ to: uniqueE164(), from: uniqueE164(), text: "anyone?" }), "NotFoundError").code, "NOT_FOUND", "a number the organization does not hold");
    const other = await createOrganization("sbx-inbound-other");
    const theirs = as((await other.client.data(CreateNumber, { input: { e164: uniqueE164("+1416"), capabilities: { sms: true } } })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
    assert.equal((await simulate({ phoneNumberId: theirs.id, from: uniqueE164(), text: "hi" })).__typename, "NotFoundError", "another organization's number is not found");
    assert.equal((await simulate({ to: theirs.e164, from: uniqueE164(), text: "hi" })).__typename, "NotFoundError");
    const notSms = as(await simulate({ phoneNumberId: voiceOnly.id, from: uniqueE164(), text: "hi" }), "ValidationError");
    assert.deepEqual(notSms.fieldErrors.map((e) => [e.path.join("."), e.code, e.message]), [["input.phoneNumberId", "INVALID_VALUE", "The number is not SMS-capable"]]);

    // A number bought from another carrier gets its texts from that carrier, not from the sandbox.
    const prisma = env.switchboard.database.prisma;
    await prisma.phoneNumber.update({ where: { id: rowId(number.id, "PhoneNumber") }, data: { carrier: "telnyx" } });
    const foreign = as(await simulate({ phoneNumberId: number.id, from: uniqueE164(), text: "hi" }), "ValidationError");
    assert.deepEqual(foreign.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.phoneNumberId", "NOT_PERMITTED"]]);
    const foreignByE164 = as(await simulate({ to: number.e164, from: uniqueE164(), text: "hi" }), "ValidationError");
    assert.deepEqual(foreignByE164.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.to", "NOT_PERMITTED"]]);
    await prisma.phoneNumber.update({ where: { id: rowId(number.id, "PhoneNumber") }, data: { carrier: null } });

    // It writes messages: messages:send is needed.
    const reader = await org.clientWithScopes(["messages:read", "numbers:read"]);
    const forbidden = await reader.request(Simulate, { input: { phoneNumberId: number.id, from: uniqueE164(), text: "hi" } });
    assert.equal(forbidden.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.equal((await client.data(Inbox)).messages!.totalCount, 0, "nothing refused was stored");
  });

  test("a status whose send is recorded while the status is being handled is applied, not lost", async () => {
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    const { org, test: client } = await withTestKey("sbx-race");
    const number = await smsNumber(client);
    const message = await prisma.message.create({
      data: { organizationId: org.id, phoneNumberId: rowId(number.id, "PhoneNumber"), direction: "OUTBOUND", from: number.e164, to: uniqueE164(), body: "racing", mediaUrls: [], status: "QUEUED", carrier: "sandbox", leasedUntil: new Date(Date.now() + 60_000) },
    });
    const carrierMessageId = `sbx_msg_race_${message.id}`;
    // The sender's record of the send commits right after the status's first try: at its first count.
    let raced = false;
    const racing = new Proxy(prisma, {
      get(target, property, receiver) {
        if (property !== "message") return Reflect.get(target, property, receiver);
        return new Proxy(target.message, {
          get(messages, name, inner) {
            if (name !== "count" || raced) return Reflect.get(messages, name, inner);
            return async (args: Parameters<typeof messages.count>[0]) => {
              raced = true;
              await prisma.message.update({ where: { id: message.id }, data: { status: "SENT", sentAt: new Date(), carrierMessageId, leasedUntil: null } });
              return messages.count(args);
            };
          },
        });
      },
    }) as PrismaClient;
    const carriers = { sandbox: { onWebhook: () => {} } } as unknown as Carriers;
    const service = new MessageService(racing, carriers, env.switchboard.services.bus, createLogger("silent"), env.switchboard.services.messageSender);
    const outcome = await service.handleWebhook("sandbox", { kind: "STATUS", eventId: "evt-race", carrierMessageId, status: "DELIVERED", errorCode: null });
    assert.ok(raced, "the send was recorded mid-way");
    assert.equal(outcome, "UPDATED");
    assert.equal((await prisma.message.findUniqueOrThrow({ where: { id: message.id } })).status, "DELIVERED");
  });
});

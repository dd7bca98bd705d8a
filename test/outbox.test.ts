import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import pg from "pg";
import { connectionOptionsFromUrl } from "../src/db/connection-options.ts";
import { CarrierFailure, type CarrierAdapter, type OutboundMessageRequest, type SentMessage } from "../src/carriers/adapter.ts";
import type { Carriers } from "../src/carriers/index.ts";
import type { SandboxMessage } from "../src/carriers/sandbox.ts";
import { createLogger } from "../src/logger.ts";
import { MessageSender } from "../src/messages/sender.ts";
import { createOrganization, createScratchDatabase, getEnvironment, organizationKeyFromCli, processEnvironment, testTarget } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { post, runCli, type ServerProcess, startServerProcess } from "./helpers/processes.ts";

// The message outbox seen from outside: real server processes, killed mid-send or sharing one
// database, and the sandbox carrier's own record (its state file) of what it was asked to send.

const CREATE_NUMBER = 'mutation($e164: String!) { createManualPhoneNumber(input: { e164: $e164, capabilities: { sms: true } }) { __typename ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } } }';
const SEND = "mutation($n: ID!, $to: String!, $body: String!, $key: String!) { sendMessage(input: { phoneNumberId: $n, to: $to, body: $body, idempotencyKey: $key }) { __typename ... on SendMessageSuccess { sentMessage { id status } } } }";
const MESSAGES = "{ messages(first: 100, filter: { direction: OUTBOUND }) { totalCount edges { node { id body status carrierMessageId failureReason sendAttempts } } } }";

interface Outbound {
  id: string;
  body: string;
  status: string;
  carrierMessageId: string | null;
  failureReason: string | null;
  sendAttempts: number;
}

const carrierRecord = (dataDir: string) =>
  Object.values((JSON.parse(readFileSync(path.join(dataDir, "sandbox-carrier.json"), "utf8")) as { messages?: Record<string, SandboxMessage> }).messages ?? {});

/** Polls the server until no outbound message is QUEUED (or each is `done`); returns them. */
async function untilSettled(url: string, key: string, expected: number, done: (m: Outbound) => boolean = (m) => m.status !== "QUEUED"): Promise<Outbound[]> {
  let messages: Outbound[] = [];
  for (let attempt = 0; attempt < 150; attempt++) {
    const read = await post(url, key, MESSAGES);
    messages = read.body.data.messages.edges.map((e: { node: Outbound }) => e.node);
    if (messages.length === expected && messages.every(done)) return messages;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`messages did not settle: ${JSON.stringify(messages.map((m) => m.status))}`);
}


describe("the message outbox across crashes", () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test(`kill -9 right after the carrier accepted a message (${testTarget()} database): every accepted message ends SENT, each sent once, then DELIVERED`, { timeout: 300_000 }, async () => {
    const env = await processEnvironment("switchboard-outbox-crash", {
      CARRIER_TIMEOUT_MS: "200",
      MESSAGE_SEND_POLL_SECONDS: "0.2",
      MESSAGE_SEND_RETRY_MS: "50",
      // The sandbox reports each delivery shortly after taking the message, the one the crash interrupted included.
      SANDBOX_DELIVERY_DELAY_MS: "100",
    });
    const dataDir = env.DATA_DIR!;
    const key = await organizationKeyFromCli("outbox-crash", env);
    const first = await startServerProcess(env);
    servers.push(first);
    const number = (await post(first.url, key, CREATE_NUMBER, { e164: "+442071838750" })).body.data.createManualPhoneNumber.phoneNumber;
    assert.ok(number, "a UK number: no 10DLC gate");
    assert.equal(await first.stop(), 0);

    // A burst of 15 sends; the server dies (SIGKILL) as soon as the carrier accepts the first message.
    const doomed = await startServerProcess({ ...env, SANDBOX_FAULTS: "crash-after-send" });
    servers.push(doomed);
    const burst = Array.from({ length: 15 }, (_, i) => ({ n: number.id, to: `+4420718387${String(60 + i)}`, body: `burst ${i}`, key: `burst-${i}` }));
    const answers = await Promise.allSettled(burst.map((variables) => post(doomed.url, key, SEND, variables)));
    await new Promise((resolve) => (doomed.child.exitCode !== null || doomed.child.signalCode ? resolve(null) : doomed.child.once("exit", resolve)));
    assert.equal(doomed.child.signalCode, "SIGKILL");
    const accepted = answers.filter((a) => a.status === "fulfilled" && a.value.body.data?.sendMessage.__typename === "SendMessageSuccess").length;
    assert.ok(carrierRecord(dataDir).length >= 1, "the carrier took a message before the crash");

    // The restarted server finishes what the crash interrupted; the client retries every key.
    const restarted = await startServerProcess(env);
    servers.push(restarted);
    const retried = await Promise.all(burst.map((variables) => post(restarted.url, key, SEND, variables)));
    assert.ok(retried.every((r) => r.body.data.sendMessage.__typename === "SendMessageSuccess"), JSON.stringify(retried.map((r) => r.body)));
    const settled = await untilSettled(restarted.url, key, 15);
    assert.ok(settled.every((m) => m.status === "SENT" || m.status === "DELIVERED"), settled.map((m) => `${m.status} ${m.failureReason}`).join());
    // The delivery report owed for the interrupted message was in the carrier's state file: the
    // restarted server takes it once the send is recorded (until then it answers "retry later").
    const messages = await untilSettled(restarted.url, key, 15, (m) => m.status === "DELIVERED");
    assert.deepEqual(messages.map((m) => m.status), Array(15).fill("DELIVERED"));
    assert.ok(carrierRecord(dataDir).every((m) => m.report?.reportedAt && m.report.status === "DELIVERED"), "every report was taken");

    const atCarrier = carrierRecord(dataDir);
    assert.equal(atCarrier.length, 15, "the carrier holds exactly 15 messages");
    assert.equal(new Set(atCarrier.map((m) => m.text)).size, 15, "none twice");
    const byReference = new Map(atCarrier.map((m) => [m.reference, m]));
    for (const message of messages) {
      const rowId = Buffer.from(message.id, "base64").toString().split(":")[1]!;
      assert.equal(byReference.get(rowId)?.carrierMessageId, message.carrierMessageId, "the stored carrier id is the carrier's");
    }
    // The message the crash interrupted was asked for again and answered with the first one.
    assert.ok(atCarrier.some((m) => m.requests === 2), JSON.stringify(atCarrier.map((m) => m.requests)));
    assert.ok(accepted <= 15);
    // Repeating a key now reports the message as it is, not sent again.
    const repeat = await post(restarted.url, key, SEND, burst[0]);
    assert.equal(repeat.body.data.sendMessage.sentMessage.status, "DELIVERED");
    assert.equal(carrierRecord(dataDir).length, 15);
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;
const skip = serverUrl ? false : "skipped: set TEST_DATABASE_URL to run the two-instance outbox test";
if (skip) console.log(`outbox: ${skip}`);

describe("two instances sending from one outbox", { skip }, () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("every message is sent once, by one of the instances", { timeout: 180_000 }, async () => {
    const shared = {
      DATABASE_URL: await createScratchDatabase("switchboard_outbox_multi"),
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      SEED_DEMO: "false",
      MESSAGE_SEND_POLL_SECONDS: "0.05",
      // Delivery reports would add a DELIVERED move per message: this test counts sends.
      SANDBOX_DELIVERY_DELAY_MS: "off",
    };
    const dataDirs = [await mkdtemp(path.join(tmpdir(), "switchboard-outbox-a-")), await mkdtemp(path.join(tmpdir(), "switchboard-outbox-b-"))];
    dirs.push(...dataDirs);
    const migrated = await runCli(["migrate"], shared);
    assert.equal(migrated.code, 0, migrated.stderr);
    const key = await organizationKeyFromCli("outbox-multi", shared);
    // Each instance's sandbox keeps its own record, so a message both sent would show in both.
    const [a, b] = await Promise.all(dataDirs.map((dir) => startServerProcess({ ...shared, DATA_DIR: dir })));
    servers.push(a!, b!);
    const number = (await post(a!.url, key, CREATE_NUMBER, { e164: "+442071838751" })).body.data.createManualPhoneNumber.phoneNumber;
    const sends = Array.from({ length: 40 }, (_, i) => ({ n: number.id, to: `+4420718388${String(10 + i)}`, body: `shared ${i}`, key: `shared-${i}` }));
    const answers = await Promise.all(sends.map((variables, i) => post((i % 2 ? b : a)!.url, key, SEND, variables)));
    assert.ok(answers.every((r) => r.body.data.sendMessage.sentMessage.status === "QUEUED"));
    const messages = await untilSettled(a!.url, key, 40);
    assert.deepEqual(messages.map((m) => m.status), Array(40).fill("SENT"));

    const records = dataDirs.flatMap((dir) => {
      try {
        return carrierRecord(dir);
      } catch {
        return []; // this instance sent nothing
      }
    });
    assert.equal(records.length, 40, "40 sends in all");
    assert.equal(new Set(records.map((m) => m.reference)).size, 40, "no message sent by both instances");
    assert.ok(records.every((m) => m.requests === 1));

    const client = new pg.Client(connectionOptionsFromUrl(shared.DATABASE_URL));
    await client.connect();
    try {
      const events = await client.query(`SELECT count(*)::int AS n FROM "Event" WHERE type = 'MESSAGE_STATUS_CHANGED'`);
      assert.equal(events.rows[0].n, 40, "one SENT event per message");
    } finally {
      await client.end();
    }
  });
});

// A carrier that does not promise one message per reference (Telnyx): a send whose outcome is
// unknown is FAILED with that reason, never repeated. Run against a stub carrier, at a time in the
// future so the server's own sender leaves these rows alone.
describe("a carrier without idempotent sends", () => {
  test("an interrupted attempt or a timeout is FAILED (CARRIER_OUTCOME_UNKNOWN), a refusal at once, and nothing is sent twice", async () => {
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    const org = await createOrganization("outbox-stub");
    const number = await prisma.phoneNumber.create({ data: { organizationId: org.id, e164: uniqueE164(), country: "US", source: "MANUAL", status: "ACTIVE", smsCapable: true } });
    let next: () => Promise<SentMessage> = async () => ({ carrierMessageId: "stub-1", status: "QUEUED" });
    const requests: OutboundMessageRequest[] = [];
    const stub = {
      name: "telnyx",
      sendsDedupedByReference: false,
      sendMessage: async (request: OutboundMessageRequest) => {
        requests.push(request);
        return next();
      },
    } as unknown as CarrierAdapter;
    const carriers = { ...env.switchboard.services.carriers, byName: () => stub } as Carriers;
    const sender = new MessageSender(prisma, carriers, { maxAttempts: 3, retryMs: 10, leaseMs: 60_000 }, createLogger("silent"));
    const later = new Date(Date.now() + 3_600_000);
    const queue = (body: string, leasedUntil: Date | null = null) =>
      prisma.message.create({
        data: { organizationId: org.id, phoneNumberId: number.id, direction: "OUTBOUND", from: number.e164, to: uniqueE164(), body, mediaUrls: [], status: "QUEUED", carrier: "telnyx", nextAttemptAt: later, leasedUntil },
      });

    const interrupted = await queue("interrupted", new Date(later.getTime() - 1_000));
    assert.deepEqual(await sender.sendDue(later), { sent: 0, retrying: 0, failed: 1 });
    const closed = await prisma.message.findUniqueOrThrow({ where: { id: interrupted.id } });
    assert.deepEqual([closed.status, closed.errorCode, closed.nextAttemptAt, closed.leasedUntil], ["FAILED", "CARRIER_OUTCOME_UNKNOWN", null, null]);
    assert.match(closed.failureReason ?? "", /may or may not have been sent/);
    assert.equal(requests.length, 0, "not asked again");

    next = () => Promise.reject(new CarrierFailure("TIMEOUT", "no answer within 300 ms", "telnyx"));
    const timedOut = await queue("timed out");
    assert.deepEqual(await sender.sendDue(later), { sent: 0, retrying: 0, failed: 1 });
    assert.equal((await prisma.message.findUniqueOrThrow({ where: { id: timedOut.id } })).errorCode, "CARRIER_OUTCOME_UNKNOWN");
    assert.deepEqual(requests.map((r) => r.reference), [timedOut.id], "one request, with the message id as reference");

    next = () => Promise.reject(new CarrierFailure("REJECTED", "HTTP 422: invalid destination", "telnyx"));
    const refused = await queue("refused");
    await sender.sendDue(later);
    const refusedRow = await prisma.message.findUniqueOrThrow({ where: { id: refused.id } });
    assert.deepEqual([refusedRow.status, refusedRow.errorCode, refusedRow.sendAttempts], ["FAILED", "CARRIER_REJECTED", 1]);
    assert.match(refusedRow.failureReason ?? "", /invalid destination/);
    const events = await prisma.event.count({ where: { organizationId: org.id, type: "MESSAGE_STATUS_CHANGED" } });
    assert.equal(events, 3, "each FAILED recorded once");
  });
});

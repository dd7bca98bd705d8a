import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, test } from "node:test";
import { decodeSandboxSignature, decodeTelnyxSignature, telnyxPublicKey, verifySandboxWebhook, verifyTelnyxWebhook } from "../src/carriers/webhooks.ts";
// The messages test's typed mutation, reused as is: a new document would need a codegen run.
import { MsgCreateNumberDocument } from "./generated/graphql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { as } from "./helpers/verification.ts";
import { inboundMessage, post, SANDBOX_WEBHOOK_SECRET, telnyxHeaders, type Delivery } from "./helpers/webhooks.ts";

// Issue 9, webhook replays: a carrier delivery is identified by the bytes of its signature, so the
// same signature re-sent in another spelling (letter case, base64url, no padding) is a replay (409),
// a signature header that does not strictly decode is malformed (401), and a signature or timestamp
// header given twice is refused (400). None of them stores a message, a receipt or an event.

/** Posts with headers that may repeat: node:http sends an array value as one header line per item (fetch would join them). */
function postRepeatingHeaders(url: string, path: string, rawBody: string, headers: Record<string, string | string[]>): Promise<Delivery> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Delivery["body"] }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(rawBody);
  });
}

function sandboxSignature(rawBody: string, timestamp: string): string {
  return createHmac("sha256", SANDBOX_WEBHOOK_SECRET).update(`${timestamp}|${rawBody}`).digest("hex");
}

async function smsNumber(org: TestOrganization): Promise<{ id: string; e164: string }> {
  const data = await org.client.data(MsgCreateNumberDocument, { input: { e164: uniqueE164(), capabilities: { sms: true, mms: true } } });
  return as(data.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
}

/** What the database holds for the organization (messages, MESSAGE_RECEIVED events) and all receipts. */
async function stored(org: TestOrganization) {
  const prisma = (await getEnvironment()).switchboard.database.prisma;
  const [messages, events, receipts] = await Promise.all([
    prisma.message.findMany({ where: { organizationId: org.id }, select: { body: true, carrierEventId: true } }),
    prisma.event.count({ where: { organizationId: org.id, type: "MESSAGE_RECEIVED" } }),
    prisma.webhookReceipt.count(),
  ]);
  return { messages, events, receipts };
}

/** A 64-byte value whose base64 uses both `+` and `/`, so its base64url spelling differs from it. */
const SIGNATURE_LIKE = Buffer.concat([Buffer.from([0xfb, 0xff, 0xbf]), Buffer.alloc(61, 0x3e)]);

describe("webhook replays", () => {
  test("sandbox signatures decode strictly from hex of 32 bytes, either letter case", () => {
    const hex = createHmac("sha256", "secret").update("x").digest("hex");
    const bytes = Buffer.from(hex, "hex");
    assert.deepEqual(decodeSandboxSignature(hex), bytes);
    assert.deepEqual(decodeSandboxSignature(hex.toUpperCase()), bytes, "uppercase");
    const mixed = [...hex].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
    assert.deepEqual(decodeSandboxSignature(mixed), bytes, "mixed case");
    for (const [malformed, why] of [
      [`${hex}00`, "33 bytes"],
      [hex.slice(0, 62), "31 bytes"],
      [hex.slice(0, 63), "an odd digit count"],
      [`${hex}z`, "trailing junk"],
      [`${hex} `, "trailing space"],
      [`0x${hex}`, "a 0x prefix"],
      [`${hex.slice(0, 63)}g`, "a non-hex digit"],
      [`${hex}, ${hex}`, "two values joined into one header"],
      [Buffer.from(bytes).toString("base64"), "base64 of the right bytes"],
      ["", "empty"],
    ] as const) {
      assert.equal(decodeSandboxSignature(malformed), undefined, why);
    }
  });

  test("Telnyx signatures decode strictly from base64 or base64url of 64 bytes, padded or not", () => {
    const padded = SIGNATURE_LIKE.toString("base64");
    assert.match(padded, /^\+\/.*==$/, "the sample uses the characters the alphabets differ in");
    const unpadded = padded.slice(0, -2);
    const url = SIGNATURE_LIKE.toString("base64url");
    for (const spelling of [padded, unpadded, url, `${url}==`]) assert.deepEqual(decodeTelnyxSignature(spelling), SIGNATURE_LIKE, spelling);

    // The last digit carries 2 data bits; a lenient decoder ignores the other 4, so "AB" reads as "AA".
    const nonCanonical = `${SIGNATURE_LIKE.subarray(0, 63).toString("base64")}AB`;
    assert.equal(Buffer.from(nonCanonical, "base64").length, 64);
    for (const [malformed, why] of [
      [`${padded}x`, "trailing junk after the padding"],
      [`${unpadded}AAAA`, "four more digits (67 bytes)"],
      [`${padded}=`, "too much padding"],
      [`${unpadded}=`, "a single padding character"],
      [SIGNATURE_LIKE.subarray(0, 63).toString("base64"), "63 bytes"],
      [Buffer.concat([SIGNATURE_LIKE, Buffer.from([1])]).toString("base64"), "65 bytes"],
      [`${padded.slice(0, 10)}.${padded.slice(10)}`, "a stray character a lenient decoder skips"],
      [`${padded.slice(0, 10)} ${padded.slice(11)}`, "a space inside"],
      [`-${padded.slice(1)}`, "the two alphabets mixed"],
      [nonCanonical, "a non-canonical last digit"],
      [`${padded}, ${padded}`, "two values joined into one header"],
      [SIGNATURE_LIKE.toString("hex"), "hex of the right bytes"],
      ["", "empty"],
    ] as const) {
      assert.equal(decodeTelnyxSignature(malformed), undefined, why);
    }
  });

  test("the receipt key is the signature's bytes: every spelling gives one signatureHash, a malformed one is a 401", () => {
    const now = 1_800_000_000_000;
    const timestamp = String(now / 1000 - 10);
    const body = Buffer.from(inboundMessage("+14155550101", "+14155550100", "hi"));

    const hex = createHmac("sha256", "sandbox-secret").update(Buffer.concat([Buffer.from(`${timestamp}|`), body])).digest("hex");
    const sandbox = (signature: string) => verifySandboxWebhook({ signature, timestamp }, body, "sandbox-secret", 300, now);
    const lower = sandbox(hex);
    assert.ok(lower.ok);
    assert.deepEqual(sandbox(hex.toUpperCase()), lower);
    assert.deepEqual(sandbox(`${hex}0`), { ok: false, status: 401, reason: "malformed signature" });

    const pair = generateKeyPairSync("ed25519");
    const key = telnyxPublicKey(pair.publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64"));
    const signature = sign(null, Buffer.concat([Buffer.from(`${timestamp}|`), body]), pair.privateKey);
    const telnyx = (header: string) => verifyTelnyxWebhook({ signature: header, timestamp }, body, key, 300, now);
    const standard = telnyx(signature.toString("base64"));
    assert.ok(standard.ok);
    assert.deepEqual(telnyx(signature.toString("base64").replace(/=+$/, "")), standard);
    assert.deepEqual(telnyx(signature.toString("base64url")), standard);
    assert.deepEqual(telnyx(`${signature.toString("base64")}x`), { ok: false, status: 401, reason: "malformed signature" });
    assert.notEqual(standard.signatureHash, lower.signatureHash);
  });

  test("sandbox: an accepted delivery re-sent in uppercase hex is a 409; junk is a 401 and a repeated header a 400, and one message is stored", async () => {
    const url = await (await getEnvironment()).url();
    const org = await createOrganization("replay-sandbox");
    const number = await smsNumber(org);
    const body = inboundMessage(uniqueE164(), number.e164, "sandbox, once", { eventId: `sbx-replay-${org.id}` });
    const timestamp = String(Math.floor(Date.now() / 1000) - 5);
    const signature = sandboxSignature(body, timestamp);
    const send = (headers: Record<string, string | string[]>) => postRepeatingHeaders(url, "/webhooks/sandbox", body, headers);
    const signed = (value: string | string[]) => send({ "x-sandbox-signature": value, "x-sandbox-timestamp": timestamp });
    const before = await stored(org);

    // Refused before the delivery was ever accepted: they leave no receipt that would block it.
    assert.equal((await signed([signature, signature])).status, 400, "the signature header twice");
    assert.equal((await send({ "x-sandbox-signature": signature, "x-sandbox-timestamp": [timestamp, timestamp] })).status, 400, "the timestamp header twice");
    assert.equal((await signed(`${signature}zz`)).status, 401, "trailing junk");
    assert.deepEqual(await stored(org), before, "nothing refused was stored");

    const accepted = await signed(signature);
    assert.deepEqual([accepted.status, accepted.body.status], [200, "STORED"]);
    const afterAccepted = await stored(org);
    assert.deepEqual(afterAccepted.messages, [{ body: "sandbox, once", carrierEventId: `sbx-replay-${org.id}` }]);
    assert.equal(afterAccepted.events, 1);
    assert.equal(afterAccepted.receipts, before.receipts + 1);

    const replays: Array<[string | string[], number, string]> = [
      [signature, 409, "the same header again"],
      [signature.toUpperCase(), 409, "uppercase hex"],
      [signature.replace(/[a-f]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c)), 409, "mixed-case hex"],
      [`${signature}00`, 401, "one more byte"],
      [`${signature} junk`, 401, "trailing junk"],
      [signature.slice(0, 62), 401, "one byte short"],
      [`${signature}, ${signature}`, 401, "two copies joined in one header line"],
      [[signature, signature.toUpperCase()], 400, "the header twice"],
    ];
    for (const [value, status, why] of replays) {
      const replay = await signed(value);
      assert.equal(replay.status, status, `${why}: ${JSON.stringify(replay.body)}`);
      assert.deepEqual(await stored(org), afterAccepted, `${why}: nothing more stored`);
    }
    const concurrent = await Promise.all([signature, signature.toUpperCase(), signature].map((value) => signed(value)));
    assert.deepEqual(
      concurrent.map((d) => d.status),
      [409, 409, 409],
    );
    assert.deepEqual(await stored(org), afterAccepted, "concurrent replays stored nothing");
  });

  test("Telnyx: an accepted delivery re-sent as base64url or without padding is a 409; junk is a 401 and a repeated header a 400, and one message is stored", async () => {
    const url = await (await getEnvironment()).url();
    const org = await createOrganization("replay-telnyx");
    const number = await smsNumber(org);
    const body = inboundMessage(uniqueE164(), number.e164, "telnyx, once", { eventId: `tx-replay-${org.id}` });
    const headers = telnyxHeaders(body, Math.floor(Date.now() / 1000) - 5);
    const timestamp = headers["telnyx-timestamp"];
    const standard = headers["telnyx-signature-ed25519"];
    const bytes = Buffer.from(standard, "base64");
    assert.ok(standard.endsWith("=="), "Telnyx sends padded base64");
    const send = (extra: Record<string, string | string[]>) => postRepeatingHeaders(url, "/webhooks/telnyx", body, { "telnyx-timestamp": timestamp, ...extra });
    const signed = (value: string | string[]) => send({ "telnyx-signature-ed25519": value });
    const before = await stored(org);

    assert.equal((await signed([standard, standard])).status, 400, "the signature header twice");
    assert.equal((await send({ "telnyx-signature-ed25519": standard, "telnyx-timestamp": [timestamp, timestamp] })).status, 400, "the timestamp header twice");
    assert.equal((await signed(`${standard}AAAA`)).status, 401, "trailing junk");
    assert.deepEqual(await stored(org), before, "nothing refused was stored");

    // Accepted in the url alphabet without padding; the plain base64 spelling is then the replay.
    const accepted = await post(url, "/webhooks/telnyx", body, { "telnyx-signature-ed25519": bytes.toString("base64url"), "telnyx-timestamp": timestamp });
    assert.deepEqual([accepted.status, accepted.body.status], [200, "STORED"]);
    const afterAccepted = await stored(org);
    assert.deepEqual(afterAccepted.messages, [{ body: "telnyx, once", carrierEventId: `tx-replay-${org.id}` }]);
    assert.equal(afterAccepted.events, 1);
    assert.equal(afterAccepted.receipts, before.receipts + 1);

    const replays: Array<[string | string[], number, string]> = [
      [standard, 409, "padded base64"],
      [standard.slice(0, -2), 409, "unpadded base64"],
      [bytes.toString("base64url"), 409, "the accepted base64url again"],
      [`${bytes.toString("base64url")}==`, 409, "padded base64url"],
      [`${standard}x`, 401, "trailing junk"],
      [`${standard.slice(0, -2)}AAAA`, 401, "four more digits"],
      [`${standard.slice(0, 20)}.${standard.slice(20)}`, 401, "a stray character"],
      [bytes.subarray(0, 63).toString("base64"), 401, "one byte short"],
      [`${standard}, ${standard}`, 401, "two copies joined in one header line"],
      [[standard, bytes.toString("base64url")], 400, "the header twice"],
    ];
    for (const [value, status, why] of replays) {
      const replay = await signed(value);
      assert.equal(replay.status, status, `${why}: ${JSON.stringify(replay.body)}`);
      assert.deepEqual(await stored(org), afterAccepted, `${why}: nothing more stored`);
    }
    const concurrent = await Promise.all([standard, standard.slice(0, -2), bytes.toString("base64url")].map((value) => signed(value)));
    assert.deepEqual(
      concurrent.map((d) => d.status),
      [409, 409, 409],
    );
    assert.deepEqual(await stored(org), afterAccepted, "concurrent replays stored nothing");
  });
});

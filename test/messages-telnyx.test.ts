import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { after, describe, test } from "node:test";
import { CarrierFailure } from "../src/carriers/adapter.ts";
import { TelnyxCarrier } from "../src/carriers/telnyx.ts";
import { parseMessageWebhook, telnyxPublicKey, verifyTelnyxWebhook } from "../src/carriers/webhooks.ts";
import { keywordOf, smsRequirementsMissing } from "../src/domain/messaging.ts";
import { startFakeTelnyx, type FakeTelnyx } from "./helpers/fake-telnyx.ts";
import { inboundMessage, statusUpdate } from "./helpers/webhooks.ts";

// The carrier side of messaging without a server: sending through the Telnyx SDK against the local
// fake, Telnyx's Ed25519 webhook scheme, and the pure keyword and 10DLC rules.

describe("messaging at the carrier", () => {
  const fakes: FakeTelnyx[] = [];
  after(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  test("sendMessage posts to /v2/messages with the messaging profile and our reference as Idempotency-Key, and returns Telnyx's message id", async () => {
    const fake = await startFakeTelnyx();
    fakes.push(fake);
    const carrier = new TelnyxCarrier({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2_000, messagingProfileId: "profile-1" });
    const sent = await carrier.sendMessage({ from: "+14155550100", to: "+14155550101", text: "hello", mediaUrls: ["https://cdn.example.com/a.jpg"], reference: "3f9c2a54-5f2e-4a8e-9d0b-1c2d3e4f5a6b" });
    assert.equal(sent.status, "QUEUED");
    const request = fake.requestsTo("POST", "/v2/messages").at(-1)!;
    assert.deepEqual(request.body, {
      from: "+14155550100",
      to: "+14155550101",
      text: "hello",
      media_urls: ["https://cdn.example.com/a.jpg"],
      messaging_profile_id: "profile-1",
    });
    assert.equal(request.idempotencyKey, "3f9c2a54-5f2e-4a8e-9d0b-1c2d3e4f5a6b");
    assert.equal(carrier.sendsDedupedByReference, false, "Telnyx does not promise one message per key on /v2/messages");
    assert.equal(sent.carrierMessageId, fake.state.messages.at(-1)!.id);

    fake.switches.failNext = 1;
    fake.switches.failStatus = 503;
    const failure = await carrier.sendMessage({ from: "+14155550100", to: "+14155550101", text: "x", mediaUrls: [], reference: "ref-2" }).catch((e: unknown) => e);
    assert.ok(failure instanceof CarrierFailure);
    assert.equal(failure.kind, "UNAVAILABLE");
  });

  test("Telnyx webhooks: Ed25519 over `${timestamp}|${body}`, bounded clock skew", () => {
    const pair = generateKeyPairSync("ed25519");
    const raw = pair.publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
    const key = telnyxPublicKey(raw);
    const body = Buffer.from(inboundMessage("+14155550101", "+14155550100", "hi"));
    const now = 1_800_000_000_000;
    const ts = String(now / 1000 - 10);
    const signature = sign(null, Buffer.concat([Buffer.from(`${ts}|`), body]), pair.privateKey).toString("base64");
    assert.equal(verifyTelnyxWebhook({ signature, timestamp: ts }, body, key, 300, now).ok, true);
    assert.equal(verifyTelnyxWebhook({ signature, timestamp: ts }, body, key, 5, now).ok, false, "older than the tolerance");
    assert.equal(verifyTelnyxWebhook({ signature: null, timestamp: ts }, body, key, 300, now).ok, false);
    assert.equal(verifyTelnyxWebhook({ signature: "bm90IGEgc2lnbmF0dXJl", timestamp: ts }, body, key, 300, now).ok, false);
    assert.equal(verifyTelnyxWebhook({ signature, timestamp: "abc" }, body, key, 300, now).ok, false);
  });

  test("webhook payloads: received, sent, finalized (delivered or failed) and others ignored", () => {
    const received = parseMessageWebhook(Buffer.from(inboundMessage("+14155550101", "+14155550100", "hi", { eventId: "e1", media: ["https://m/1"] })));
    assert.deepEqual({ ...received, carrierMessageId: undefined }, {
      kind: "RECEIVED",
      eventId: "e1",
      carrierMessageId: undefined,
      from: "+14155550101",
      to: "+14155550100",
      text: "hi",
      mediaUrls: ["https://m/1"],
    });
    assert.equal((parseMessageWebhook(Buffer.from(statusUpdate("m1", "message.sent", "sent"))) as { status: string }).status, "SENT");
    assert.equal((parseMessageWebhook(Buffer.from(statusUpdate("m1", "message.finalized", "delivered"))) as { status: string }).status, "DELIVERED");
    const failed = parseMessageWebhook(Buffer.from(statusUpdate("m1", "message.finalized", "delivery_failed", "40300"))) as { status: string; errorCode: string };
    assert.deepEqual([failed.status, failed.errorCode], ["FAILED", "40300"]);
    assert.equal(parseMessageWebhook(Buffer.from(JSON.stringify({ data: { id: "x", event_type: "call.initiated", payload: {} } })))?.kind, "IGNORED");
    assert.equal(parseMessageWebhook(Buffer.from("not json")), undefined);
  });

  test("opt-out keywords and the 10DLC requirements", () => {
    assert.deepEqual(keywordOf(" stop "), { kind: "STOP", word: "STOP" });
    assert.deepEqual(keywordOf("Stop all"), { kind: "STOP", word: "STOPALL" });
    assert.equal(keywordOf("Unsubscribe!")?.kind, "STOP");
    assert.equal(keywordOf("start")?.kind, "START");
    assert.equal(keywordOf("HELP")?.kind, "HELP");
    assert.equal(keywordOf("please stop texting me"), undefined, "only a message that is the keyword");
    assert.deepEqual(smsRequirementsMissing("SUBMITTED", "PENDING"), ["VERIFICATION_APPROVED", "CAMPAIGN_ASSIGNED"]);
    assert.deepEqual(smsRequirementsMissing("APPROVED", "PENDING"), ["CAMPAIGN_ASSIGNED"]);
    assert.deepEqual(smsRequirementsMissing("APPROVED", "ASSIGNED"), []);
  });
});

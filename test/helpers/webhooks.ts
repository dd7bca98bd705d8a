import { createHmac, generateKeyPairSync, randomUUID, sign } from "node:crypto";

// The test run's Telnyx key pair (the server is configured with its public key in harness.ts) and
// clients that deliver carrier webhooks over real HTTP, signed as Telnyx and the sandbox sign them.

const pair = generateKeyPairSync("ed25519");
/** Base64 of the raw 32-byte public key, as the Telnyx portal shows it. */
export const TELNYX_PUBLIC_KEY = pair.publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
export const SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret-for-tests";
/** A key Telnyx never had: signatures made with it are forgeries. */
const forger = generateKeyPairSync("ed25519");

export interface Delivery {
  status: number;
  body: { status?: string; error?: string };
}

export interface TelnyxHeaders {
  "telnyx-signature-ed25519"?: string;
  "telnyx-timestamp"?: string;
}

/** The headers Telnyx sends with `rawBody` at `timestamp` (Unix seconds), optionally signed with a forger's key. */
export function telnyxHeaders(rawBody: string, timestamp = Math.floor(Date.now() / 1000), options: { forged?: boolean } = {}): Required<TelnyxHeaders> {
  const key = options.forged ? forger.privateKey : pair.privateKey;
  const signature = sign(null, Buffer.from(`${timestamp}|${rawBody}`), key).toString("base64");
  return { "telnyx-signature-ed25519": signature, "telnyx-timestamp": String(timestamp) };
}

export async function post(url: string, path: string, rawBody: string, headers: Record<string, string>): Promise<Delivery> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: rawBody });
  return { status: response.status, body: (await response.json()) as Delivery["body"] };
}

/** Posts to /webhooks/telnyx, signed now unless headers are given. */
export function postTelnyx(url: string, rawBody: string, headers: Record<string, string> = telnyxHeaders(rawBody)): Promise<Delivery> {
  return post(url, "/webhooks/telnyx", rawBody, headers);
}

/** Posts to /webhooks/sandbox, HMAC-signed at `timestamp` (default now). */
export function postSandbox(url: string, rawBody: string, at = Math.floor(Date.now() / 1000)): Promise<Delivery> {
  const timestamp = String(at);
  const signature = createHmac("sha256", SANDBOX_WEBHOOK_SECRET).update(`${timestamp}|${rawBody}`).digest("hex");
  return post(url, "/webhooks/sandbox", rawBody, { "x-sandbox-signature": signature, "x-sandbox-timestamp": timestamp });
}

/** A Telnyx message.received webhook body. */
export function inboundMessage(from: string, to: string, text: string, options: { eventId?: string; media?: string[] } = {}): string {
  return JSON.stringify({
    data: {
      record_type: "event",
      id: options.eventId ?? randomUUID(),
      event_type: "message.received",
      occurred_at: new Date().toISOString(),
      payload: {
        record_type: "message",
        id: randomUUID(),
        direction: "inbound",
        type: options.media?.length ? "MMS" : "SMS",
        from: { phone_number: from, carrier: "T-Mobile USA", line_type: "Wireless" },
        to: [{ phone_number: to, status: "webhook_delivered" }],
        text,
        media: (options.media ?? []).map((url) => ({ url, content_type: "image/jpeg" })),
        received_at: new Date().toISOString(),
      },
    },
    meta: { attempt: 1, delivered_to: "https://switchboard.test/webhooks/telnyx" },
  });
}

/** A Telnyx message.sent / message.finalized webhook body for an outbound message. */
export function statusUpdate(carrierMessageId: string, eventType: "message.sent" | "message.finalized", status: string, errorCode?: string): string {
  return JSON.stringify({
    data: {
      record_type: "event",
      id: randomUUID(),
      event_type: eventType,
      occurred_at: new Date().toISOString(),
      payload: {
        record_type: "message",
        id: carrierMessageId,
        direction: "outbound",
        to: [{ phone_number: "+14155550100", status }],
        errors: errorCode ? [{ code: errorCode, title: "Delivery failed" }] : [],
      },
    },
  });
}

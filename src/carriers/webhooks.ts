import { createHash, createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import type { CarrierMessageEvent } from "./adapter.ts";

/**
 * Carrier webhooks: signature checks and the payloads read into CarrierMessageEvents. Both carriers
 * send Telnyx's message webhook shape `{ data: { id, event_type, payload } }`; they differ in how
 * the delivery is signed.
 */

export type WebhookCheck = { ok: true; signatureHash: string } | { ok: false; status: 400 | 401; reason: string };

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Telnyx's public key (base64 of the 32 raw bytes, as the portal shows it, or a PEM) as a KeyObject. */
export function telnyxPublicKey(value: string): KeyObject {
  if (value.includes("BEGIN PUBLIC KEY")) return createPublicKey(value);
  const raw = Buffer.from(value, "base64");
  if (raw.length !== 32) throw new Error("TELNYX_PUBLIC_KEY must be the base64 of a 32-byte Ed25519 key");
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

function checkTimestamp(timestamp: string | null, toleranceSeconds: number, nowMs: number): { ok: false; status: 400 | 401; reason: string } | undefined {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 400, reason: "missing or malformed timestamp" };
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) return { ok: false, status: 401, reason: "timestamp outside the accepted window (stale or replayed)" };
  return undefined;
}

type SignedHeaders = { signature: string | null; timestamp: string | null };

/** A sandbox signature's bytes: exactly 64 hex digits, either letter case (a 32-byte HMAC-SHA256); undefined for anything else. */
export function decodeSandboxSignature(header: string): Buffer | undefined {
  return /^[0-9a-f]{64}$/i.test(header) ? Buffer.from(header, "hex") : undefined;
}

/** Base64 digits of a 64-byte value (the last one carries 2 data bits) in one alphabet, then optional padding. */
const ED25519_SIGNATURE_BASE64 = /^(?:[A-Za-z0-9+/]{86}|[A-Za-z0-9_-]{86})(?:==)?$/;

/**
 * A Telnyx signature's bytes: the 64-byte Ed25519 signature as base64 or base64url, padded or not;
 * undefined for anything else (stray characters, mixed alphabets, wrong length or padding). The 4
 * unused bits of the last digit must be zero, so every signature has one spelling per alphabet.
 */
export function decodeTelnyxSignature(header: string): Buffer | undefined {
  if (!ED25519_SIGNATURE_BASE64.test(header)) return undefined;
  const digits = header.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const bytes = Buffer.from(digits, "base64url");
  return bytes.length === 64 && bytes.toString("base64url") === digits ? bytes : undefined;
}

/**
 * What both schemes share: a signature that strictly decodes and a fresh timestamp must be present,
 * then `matches` checks the signature bytes over `${timestamp}|${raw body}`. Accepted deliveries are
 * identified by a hash of the signature bytes, not of the header text, so replay detection sees every
 * re-encoding of an accepted signature (letter case, base64url, padding) as the same delivery.
 */
function checkSigned(
  scheme: string,
  headers: SignedHeaders,
  rawBody: Buffer,
  toleranceSeconds: number,
  nowMs: number,
  decode: (header: string) => Buffer | undefined,
  matches: (signature: Buffer, signed: Buffer) => boolean,
): WebhookCheck {
  if (!headers.signature) return { ok: false, status: 401, reason: "unsigned delivery" };
  const signature = decode(headers.signature);
  if (!signature) return { ok: false, status: 401, reason: "malformed signature" };
  const stale = checkTimestamp(headers.timestamp, toleranceSeconds, nowMs);
  if (stale) return stale;
  const signed = Buffer.concat([Buffer.from(`${headers.timestamp}|`), rawBody]);
  let valid = false;
  try {
    valid = matches(signature, signed);
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, status: 401, reason: "signature does not match" };
  return { ok: true, signatureHash: createHash("sha256").update(`${scheme}:`).update(signature).digest("hex") };
}

/**
 * Telnyx's scheme: `telnyx-signature-ed25519` is the base64 Ed25519 signature of
 * `${telnyx-timestamp}|${raw body}`, the timestamp in Unix seconds, checked against a bounded skew.
 */
export function verifyTelnyxWebhook(headers: SignedHeaders, rawBody: Buffer, publicKey: KeyObject, toleranceSeconds: number, nowMs = Date.now()): WebhookCheck {
  return checkSigned("telnyx", headers, rawBody, toleranceSeconds, nowMs, decodeTelnyxSignature, (signature, signed) => verify(null, signed, publicKey, signature));
}

/**
 * The sandbox carrier's scheme (it has no key pair): `x-sandbox-signature` is the hex
 * HMAC-SHA256 of `${x-sandbox-timestamp}|${raw body}` under SANDBOX_WEBHOOK_SECRET.
 */
export function verifySandboxWebhook(headers: SignedHeaders, rawBody: Buffer, secret: string, toleranceSeconds: number, nowMs = Date.now()): WebhookCheck {
  return checkSigned("sandbox", headers, rawBody, toleranceSeconds, nowMs, decodeSandboxSignature, (signature, signed) =>
    timingSafeEqual(signature, createHmac("sha256", secret).update(signed).digest()),
  );
}

interface TelnyxMessagePayload {
  id?: string;
  from?: { phone_number?: string };
  to?: Array<{ phone_number?: string; status?: string }>;
  text?: string;
  media?: Array<{ url?: string }>;
  errors?: Array<{ code?: string | number; title?: string; detail?: string }>;
}

/** Reads a verified webhook body; undefined when it is not a message webhook Switchboard understands. */
export function parseMessageWebhook(rawBody: Buffer): CarrierMessageEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return undefined;
  }
  const data = (parsed as { data?: { id?: unknown; event_type?: unknown; payload?: TelnyxMessagePayload } } | null)?.data;
  if (!data || typeof data.id !== "string" || typeof data.event_type !== "string") return undefined;
  const eventId = data.id;
  const payload = data.payload ?? {};
  if (data.event_type === "message.received") {
    const from = payload.from?.phone_number;
    const to = payload.to?.[0]?.phone_number;
    if (!payload.id || !from || !to) return undefined;
    const mediaUrls = (payload.media ?? []).map((m) => m.url).filter((url): url is string => typeof url === "string");
    return { kind: "RECEIVED", eventId, carrierMessageId: payload.id, from, to, text: payload.text ?? "", mediaUrls };
  }
  if (data.event_type === "message.sent" || data.event_type === "message.finalized") {
    if (!payload.id) return undefined;
    const carrierStatus = payload.to?.[0]?.status ?? (data.event_type === "message.sent" ? "sent" : "");
    const status = carrierStatus === "delivered" ? "DELIVERED" : carrierStatus === "sent" ? "SENT" : /fail|undeliverable|expired/.test(carrierStatus) ? "FAILED" : undefined;
    if (!status) return { kind: "IGNORED", eventId, eventType: `${data.event_type}:${carrierStatus}` };
    const error = payload.errors?.[0];
    const code = error?.code;
    const words = [error?.title, error?.detail].filter((text): text is string => typeof text === "string" && text.trim() !== "");
    return { kind: "STATUS", eventId, carrierMessageId: payload.id, status, errorCode: code === undefined ? null : String(code), reason: words.length > 0 ? words.join(": ").slice(0, 500) : null };
  }
  return { kind: "IGNORED", eventId, eventType: data.event_type };
}

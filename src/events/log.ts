import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Prisma } from "../generated/prisma/client.ts";
import type { ApiKey, Charge, EventType, Message, PhoneNumber, TollFreeVerification, Verification } from "../generated/prisma/client.ts";

/**
 * The event log: every state change a customer cares about is one Event row, written in the same
 * transaction as the change, with a snapshot of the changed object as it was at that moment (so a
 * reader long after sees what happened then, not the object as it is now). Subscriptions and
 * webhook deliveries read the same rows. Snapshots hold what the API shows of the object, with
 * global ids, and never a secret (no trunk passwords, no key material).
 */

/** Who may read an event type: the scope that reads its object. */
export const EVENT_SCOPES: Record<EventType, string> = {
  NUMBER_ORDERED: "numbers:read",
  NUMBER_ACTIVATED: "numbers:read",
  NUMBER_FAILED: "numbers:read",
  NUMBER_UPDATED: "numbers:read",
  NUMBER_ASSIGNED: "numbers:read",
  NUMBER_UNASSIGNED: "numbers:read",
  NUMBER_RELEASED: "numbers:read",
  SETUP_STATUS_CHANGED: "numbers:read",
  CALLER_ID_NAME_STATUS_CHANGED: "numbers:read",
  FALLBACK_STATUS_CHANGED: "numbers:read",
  EMERGENCY_REGISTRATION_CHANGED: "numbers:read",
  NUMBER_SUSPENDED: "billing:read",
  NUMBER_REACTIVATED: "billing:read",
  CHARGE_SUCCEEDED: "billing:read",
  CHARGE_FAILED: "billing:read",
  MESSAGE_RECEIVED: "messages:read",
  MESSAGE_STATUS_CHANGED: "messages:read",
  VERIFICATION_STATUS_CHANGED: "verification:read",
  TOLL_FREE_VERIFICATION_STATUS_CHANGED: "verification:read",
  TOLL_FREE_CARRIER_REGISTRATION_CHANGED: "verification:read",
  API_KEY_CREATED: "keys:admin",
  API_KEY_REVOKED: "keys:admin",
  WEBHOOK_ENDPOINT_DISABLED: "webhooks:admin",
};

const iso = (value: Date | null) => (value ? value.toISOString() : null);

/** A number as the API shows it (plain fields, global ids, no secrets). */
export function numberSnapshot(number: PhoneNumber) {
  return {
    id: encodeGlobalID("PhoneNumber", number.id),
    e164: number.e164,
    label: number.label || null,
    status: number.status,
    source: number.source,
    direction: number.direction,
    country: number.country,
    numberType: number.numberType,
    capabilities: { voice: number.voiceCapable, sms: number.smsCapable, mms: number.mmsCapable },
    agentId: number.agentId ? encodeGlobalID("Agent", number.agentId) : null,
    carrier: number.carrier,
    monthlyPriceCents: number.monthlyPriceCents,
    upfrontPriceCents: number.upfrontPriceCents,
    activatedAt: iso(number.activatedAt),
    suspendedAt: iso(number.suspendedAt),
    releasedAt: iso(number.releasedAt),
    createdAt: iso(number.createdAt),
    updatedAt: iso(number.updatedAt),
  };
}

export function chargeSnapshot(charge: Charge) {
  return {
    id: encodeGlobalID("Charge", charge.id),
    phoneNumberId: encodeGlobalID("PhoneNumber", charge.phoneNumberId),
    kind: charge.kind,
    period: charge.period,
    periodStart: iso(charge.periodStart),
    periodEnd: iso(charge.periodEnd),
    amountCents: charge.amountCents,
    currency: charge.currency,
    status: charge.status,
    failureReason: charge.failureReason,
    attempts: charge.attempts,
    providerReference: charge.providerReference,
  };
}

/** A key without its hash: id, name, prefix, scopes, mode, times. */
export function apiKeySnapshot(key: ApiKey) {
  return {
    id: encodeGlobalID("ApiKey", key.id),
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    mode: key.mode,
    expiresAt: iso(key.expiresAt),
    revokedAt: iso(key.revokedAt),
    createdAt: iso(key.createdAt),
  };
}

/** A message as the API shows it (the text is the organization's own, readable with messages:read). */
export function messageSnapshot(message: Pick<Message, "id" | "phoneNumberId" | "direction" | "from" | "to" | "body" | "mediaUrls" | "status" | "errorCode">) {
  return {
    id: encodeGlobalID("Message", message.id),
    phoneNumberId: encodeGlobalID("PhoneNumber", message.phoneNumberId),
    direction: message.direction,
    from: message.from,
    to: message.to,
    body: message.body,
    mediaUrls: message.mediaUrls,
    status: message.status,
    errorCode: message.errorCode,
  };
}

/** A 10DLC verification's state and the business it names (the representative's contact details are left out). */
export function verificationSnapshot(verification: Verification) {
  return {
    id: encodeGlobalID("Verification", verification.id),
    status: verification.status,
    legalName: verification.legalName,
    displayName: verification.displayName,
    entityType: verification.entityType,
    country: verification.country,
    useCase: verification.useCase,
    rejectionReason: verification.rejectionReason,
    submittedAt: iso(verification.submittedAt),
  };
}

/** A toll-free verification's state, the business it names and the numbers it listed (the contact's details are left out). */
export function tollFreeVerificationSnapshot(verification: TollFreeVerification) {
  return {
    id: encodeGlobalID("TollFreeVerification", verification.id),
    status: verification.status,
    businessName: verification.businessName,
    useCase: verification.useCase,
    phoneNumberIds: verification.phoneNumberIds.map((id) => encodeGlobalID("PhoneNumber", id)),
    rejectionReason: verification.rejectionReason,
    submittedAt: iso(verification.submittedAt),
  };
}

type Tx = Pick<Prisma.TransactionClient, "event">;

/** Records one event inside the caller's transaction; returns its id. */
export async function recordEvent(
  tx: Tx,
  event: { organizationId: string; type: EventType; phoneNumberId?: string | null; subject?: { type: string; id: string }; payload: Record<string, unknown> },
): Promise<string> {
  const row = await tx.event.create({
    data: {
      organizationId: event.organizationId,
      type: event.type,
      phoneNumberId: event.phoneNumberId ?? null,
      subjectType: event.subject?.type ?? null,
      subjectId: event.subject?.id ?? null,
      payload: event.payload as Prisma.InputJsonValue,
    },
    select: { id: true },
  });
  return row.id;
}

/** Records a number's change with its snapshot as it is after the change. */
export function recordNumberEvent(tx: Tx, type: EventType, number: PhoneNumber, extra: Record<string, unknown> = {}): Promise<string> {
  return recordEvent(tx, { organizationId: number.organizationId, type, phoneNumberId: number.id, payload: { phoneNumber: numberSnapshot(number), ...extra } });
}

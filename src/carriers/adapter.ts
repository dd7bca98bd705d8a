/**
 * What Switchboard needs from a carrier. Two implementations: the deterministic, offline sandbox
 * (the default, and always used for sb_test_ keys) and Telnyx (through the official SDK).
 * Every method may throw CarrierError; adapters never throw anything else for carrier trouble.
 */

export const NUMBER_FEATURES = ["voice", "sms", "mms"] as const;
export type NumberFeature = (typeof NUMBER_FEATURES)[number];
export type { PhoneNumberType } from "../domain/number-type.ts";
import type { PhoneNumberType } from "../domain/number-type.ts";

export interface SearchCriteria {
  /** ISO 3166-1 alpha-2, e.g. "US". */
  country: string;
  /** National destination code, e.g. "415" (3 digits in NANP countries). */
  areaCode?: string;
  /** Digits the number must contain (vanity letters already turned into keypad digits). */
  contains?: string;
  /** Only numbers of this type; absent: whatever the carrier offers (local numbers, mostly). */
  numberType?: PhoneNumberType;
  /** City (rate center), matched case-insensitively. */
  locality?: string;
  /** State or province code, e.g. "CA", "ON" (US and CA). */
  region?: string;
  /** A postal code of the country, normalised (src/domain/number-type.ts); only where `searchesByPostalCode`. */
  postalCode?: string;
  /** An E.164 number the results should be near (same area code; the carrier orders by closeness where it can). */
  nearNumber?: string;
  features?: NumberFeature[];
  /** 1..50. */
  limit: number;
}

export interface AvailableNumber {
  e164: string;
  friendlyName: string;
  locality: string | null;
  region: string | null;
  country: string;
  /** LOCAL, TOLL_FREE or MOBILE: the carrier's word, else derived from the E.164. */
  numberType: PhoneNumberType;
  features: NumberFeature[];
  monthlyCostCents: number;
  upfrontCostCents: number;
}

export type CarrierOrderStatus = "PENDING" | "SUCCESS" | "FAILURE";

export interface CarrierOrder {
  /** The carrier's order id. */
  id: string;
  status: CarrierOrderStatus;
  e164: string;
  /** Our reference, sent with the order: the carrier-side key that finds an order after a lost answer. */
  reference: string;
  /** The carrier's id of the number, once known. */
  carrierNumberId: string | null;
  failureReason: string | null;
}

export interface CarrierNumber {
  e164: string;
  carrierNumberId: string;
  /** Active at the carrier (billed) or still being provisioned. */
  status: "ACTIVE" | "PENDING";
}

export interface CarrierAdapter {
  readonly name: "sandbox" | "telnyx";
  searchAvailable(criteria: SearchCriteria): Promise<AvailableNumber[]>;
  /** Whether searchAvailable can filter by postal code (Telnyx cannot: a search with one is refused before any call). */
  readonly searchesByPostalCode: boolean;
  /** Orders one number. Safe to repeat with the same reference: the carrier keeps one order. */
  placeOrder(request: { e164: string; reference: string }): Promise<CarrierOrder>;
  getOrder(orderId: string): Promise<CarrierOrder>;
  /** The order placed with this reference, if the carrier has one (recovery after a lost answer or a crash). */
  findOrderByReference(reference: string): Promise<CarrierOrder | undefined>;
  /** Releases a number back to the carrier; releasing a number the carrier no longer has succeeds. */
  releaseNumber(carrierNumberId: string): Promise<void>;
  /** Points the number's voice connection (and messaging profile) at Switchboard. */
  updateRouting(carrierNumberId: string, routing: { connectionId?: string; messagingProfileId?: string }): Promise<void>;
  /** Every number the carrier account holds (for reconciliation). */
  listNumbers(): Promise<CarrierNumber[]>;
  /**
   * Lists the number's caller ID name (CNAM) with `name`, or stops listing it (null). A state-set:
   * repeating it is safe. A refused name is a REJECTED CarrierFailure whose message says why.
   */
  setCallerIdName(carrierNumberId: string, name: string | null): Promise<void>;
  /**
   * Forwards the number's inbound calls to `forwardsTo` (E.164): every call ("always"), or those its
   * connection does not take ("on-failure"); null stops forwarding. A state-set: repeating it is safe.
   */
  setCallForwarding(carrierNumberId: string, forwarding: CallForwarding | null): Promise<void>;
  /**
   * Sends one SMS/MMS with our reference (the message id). Where `sendsDedupedByReference`, a repeat
   * with the same reference returns the first message instead of texting again; the resilience
   * wrapper still never repeats it by itself (the outbox decides).
   */
  sendMessage(request: OutboundMessageRequest): Promise<SentMessage>;
  /** Creates a toll-free verification request. Not idempotent: after a lost answer, look it up with findTollFreeVerification first. */
  submitTollFreeVerification(request: TollFreeVerificationRequest): Promise<CarrierTollFreeVerification>;
  /** The request submitted with this reference (for these numbers), if the carrier has one. */
  findTollFreeVerification(reference: string, phoneNumbers: readonly string[]): Promise<CarrierTollFreeVerification | undefined>;
  /**
   * Whether the carrier keeps one message per reference, so a send whose outcome is unknown (a
   * timeout, a crash mid-call) may be repeated safely. Without it such a send is FAILED, not repeated.
   */
  readonly sendsDedupedByReference: boolean;
  /**
   * Creates the carrier's emergency (E911) address record, validated by the carrier, with our
   * reference (`<address id>:<revision>`); an existing record with the reference is returned
   * instead of a second one. A refused address is a CarrierFailure REJECTED whose message is the
   * carrier's reason.
   */
  createEmergencyAddress(request: EmergencyAddressRequest): Promise<{ carrierAddressId: string }>;
  /** Enables emergency calling on the number with that address. Safe to repeat (it sets state). */
  enableEmergency(carrierNumberId: string, carrierAddressId: string): Promise<EmergencyActivation>;
  /** Disables emergency calling on the number. Safe to repeat; a number the carrier no longer has succeeds. */
  disableEmergency(carrierNumberId: string, carrierAddressId: string): Promise<void>;
}

export interface CallForwarding {
  forwardsTo: string;
  /** Telnyx's forwarding_type. */
  type: "always" | "on-failure";
}

/** An approved toll-free verification as the carrier is asked to verify it (Telnyx's toll-free verification request). */
export interface TollFreeVerificationRequest {
  /** Our submission's id: finds the request again after a lost answer. */
  reference: string;
  businessName: string;
  website: string;
  address: { street: string; street2: string | null; city: string; region: string; postalCode: string };
  contact: { firstName: string; lastName: string; email: string; phone: string };
  /** The toll-free numbers (E.164) to verify. */
  phoneNumbers: string[];
  /** One of the SmsUseCase values. */
  useCase: string;
  useCaseSummary: string;
  sampleMessages: string[];
  optInDescription: string;
  optInImageUrls: string[];
  expectedMonthlyVolume: number;
  additionalInformation: string | null;
}

/** The carrier's verification request: its id and its own review status. */
export interface CarrierTollFreeVerification {
  requestId: string;
  status: string;
}

export interface EmergencyAddressRequest {
  /** Our idempotency reference, stored at the carrier (Telnyx customer_reference). */
  reference: string;
  callerName: string;
  street: string;
  unit: string | null;
  city: string;
  /** Two-letter state or province. */
  region: string;
  postalCode: string;
  /** US or CA. */
  country: string;
}

/** Where the carrier says a number's emergency service is: active, or still being provisioned (asked again later). */
export type EmergencyActivation = "ACTIVE" | "PENDING";

export interface OutboundMessageRequest {
  from: string;
  to: string;
  text: string;
  mediaUrls: string[];
  /** Our idempotency reference for the send (Switchboard's message id). */
  reference: string;
}

export interface SentMessage {
  carrierMessageId: string;
  /** Where the carrier says the message is; later moves arrive by status webhook. */
  status: "QUEUED" | "SENT";
}

/** A verified carrier webhook, read into what Switchboard needs. */
export type CarrierMessageEvent =
  | {
      kind: "RECEIVED";
      /** The carrier's id of this delivery (the same on retries). */
      eventId: string;
      carrierMessageId: string;
      from: string;
      to: string;
      text: string;
      mediaUrls: string[];
    }
  | {
      kind: "STATUS";
      eventId: string;
      carrierMessageId: string;
      status: "SENT" | "DELIVERED" | "FAILED";
      errorCode: string | null;
      /** The carrier's words for a failure (Telnyx's error title and detail), when it gives any. */
      reason?: string | null;
    }
  /** An event type Switchboard does not act on: acknowledged, nothing stored. */
  | { kind: "IGNORED"; eventId: string; eventType: string };

export type CarrierErrorKind =
  /** No answer in time: the carrier may or may not have acted. */
  | "TIMEOUT"
  /** 5xx, connection refused, or the circuit breaker is open. */
  | "UNAVAILABLE"
  /** The carrier refused the request (4xx), e.g. the number is no longer available. */
  | "REJECTED"
  | "NOT_FOUND";

export class CarrierFailure extends Error {
  constructor(
    readonly kind: CarrierErrorKind,
    message: string,
    readonly carrier: string,
  ) {
    super(message);
    this.name = "CarrierFailure";
  }

  /** Whether repeating a safe (idempotent) call may succeed. */
  get retryable(): boolean {
    return this.kind === "TIMEOUT" || this.kind === "UNAVAILABLE";
  }
}

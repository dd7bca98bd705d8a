import { createHash, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { parseE164 } from "../domain/e164.ts";
import { isTollFreeAreaCode, keypadDigits, TOLL_FREE_AREA_CODES } from "../domain/number-type.ts";
import {
  CarrierFailure,
  type AvailableNumber,
  type CarrierAdapter,
  type CarrierNumber,
  type CarrierOrder,
  type CallForwarding,
  type EmergencyActivation,
  type EmergencyAddressRequest,
  type CarrierTollFreeVerification,
  type OutboundMessageRequest,
  type SearchCriteria,
  type SentMessage,
  type TollFreeVerificationRequest,
} from "./adapter.ts";

/**
 * Switches tests flip to make the sandbox misbehave like a real carrier. Counters apply to the
 * next N calls of any kind (or of placeOrder where named so).
 */
/** Where SANDBOX_FAULTS=crash-after-<point> kills the process (see SandboxFaults.crashAfter). */
export const SANDBOX_CRASH_POINTS = ["order", "send", "emergency-address", "emergency-enable", "caller-id-name", "call-forwarding", "toll-free-verification"] as const;
export type SandboxCrashPoint = (typeof SANDBOX_CRASH_POINTS)[number];

export interface SandboxFaults {
  /** Added to every call. */
  latencyMs: number;
  /** The next N calls fail with 503 (nothing happens at the carrier). */
  unavailableNext: number;
  /** The next N calls hang past any sensible timeout (nothing happens at the carrier). */
  hangNext: number;
  /** The next N orders are committed at the carrier, then the answer is lost (TIMEOUT). */
  timeoutAfterCommitNext: number;
  /** Numbers the carrier refuses to sell ("no longer available"). */
  refuse: Set<string>;
  /** Orders stay PENDING until completeOrders() (otherwise they complete at once). */
  delayCompletion: boolean;
  /**
   * Points at which the process kills itself (SIGKILL) right after the carrier committed (and the
   * sandbox saved) a change, before Switchboard hears of it: crash-safety tests in a child process
   * (SANDBOX_FAULTS=crash-after-<point>).
   */
  crashAfter: Set<SandboxCrashPoint>;
  /** The next N sends are accepted (and remembered by reference), then the answer is lost (TIMEOUT). */
  timeoutAfterSendNext: number;
  /** The next N toll-free verification requests are created (and remembered by reference), then the answer is lost (TIMEOUT). */
  timeoutAfterTollFreeSubmitNext: number;
}

/** A message the sandbox accepted; `requests` counts the sends that named its reference. */
export interface SandboxMessage extends OutboundMessageRequest {
  carrierMessageId: string;
  requests: number;
  /** The delivery report the sandbox owes Switchboard (absent while reports are off, and for messages of older versions). */
  report?: SandboxReport;
}

/** A delivery report (Telnyx's `message.finalized`), kept in the carrier's state until Switchboard has taken it. */
export interface SandboxReport {
  /** The webhook event id: the same on every retry of this report. */
  eventId: string;
  status: "DELIVERED" | "FAILED";
  /** Telnyx's delivery error code and title, for a FAILED report. */
  errorCode: string | null;
  title: string | null;
  /** When it is due (ms since the epoch). */
  dueAt: number;
  /** When Switchboard took it (or the sandbox gave up); absent while it is owed. */
  reportedAt?: number;
}

/**
 * Hands one Telnyx-shaped webhook body to Switchboard (the same handling as a signed delivery to
 * /webhooks/sandbox) and says what came of it: "RETRY_LATER" has the report delivered again.
 */
export type SandboxWebhookHandler = (rawBody: Buffer) => Promise<string>;

/**
 * Recipients the sandbox treats specially, in the 555 exchange of any NANP area code (real-looking
 * test numbers stay clear of it): `+1 NPA 555-0400` is refused when sent (FAILED, CARRIER_REJECTED,
 * never SENT); `+1 NPA 555-0404` is taken, then reported undeliverable (SENT, then FAILED with
 * Telnyx's delivery code 40008). Every other recipient is reported DELIVERED.
 */
export const SANDBOX_REJECTED_RECIPIENT = /^\+1\d{3}5550400$/;
export const SANDBOX_UNDELIVERABLE_RECIPIENT = /^\+1\d{3}5550404$/;
/** A caller ID name the sandbox refuses to list (any case), like a carrier's CNAM review would. */
export const SANDBOX_REJECTED_CALLER_ID_NAME = "REJECT";
/** A forwarding destination the sandbox refuses: +1 NPA 555-0499 in any NANP area code. */
export const SANDBOX_REJECTED_FORWARDING = /^\+1\d{3}5550499$/;

/** A number's voice settings as the sandbox carrier holds them. */
export interface SandboxVoiceSettings {
  callerIdName: string | null;
  forwardsTo: string | null;
  forwardingType: "always" | "on-failure" | null;
}

/** Report retries: the first after 100 ms, doubling to at most 5 s, about two minutes in all (longer than a send's lease). */
const REPORT_ATTEMPTS = 30;
const reportRetryMs = (attempt: number) => Math.min(100 * 2 ** attempt, 5_000);

/** A Telnyx message webhook body (`message.received` or `message.finalized`), as the sandbox delivers them. */
export function sandboxWebhookBody(event: {
  eventId: string;
  eventType: "message.received" | "message.finalized";
  carrierMessageId: string;
  direction: "inbound" | "outbound";
  from: string;
  to: string;
  /** The recipient's status: "webhook_delivered" (inbound), "delivered" or "delivery_failed". */
  toStatus: string;
  text?: string;
  mediaUrls?: string[];
  errors?: Array<{ code: string; title: string }>;
  attempt?: number;
}): Buffer {
  return Buffer.from(
    JSON.stringify({
      data: {
        record_type: "event",
        id: event.eventId,
        event_type: event.eventType,
        occurred_at: new Date().toISOString(),
        payload: {
          record_type: "message",
          id: event.carrierMessageId,
          direction: event.direction,
          type: event.mediaUrls?.length ? "MMS" : "SMS",
          from: { phone_number: event.from },
          to: [{ phone_number: event.to, status: event.toStatus }],
          text: event.text ?? "",
          media: (event.mediaUrls ?? []).map((url) => ({ url })),
          errors: event.errors ?? [],
        },
      },
      meta: { attempt: event.attempt ?? 1, delivered_to: "sandbox" },
    }),
  );
}

interface SandboxState {
  orders: Record<string, CarrierOrder>;
  numbers: Record<string, CarrierNumber>;
  /** Accepted messages by our reference: one per reference, whatever the number of requests. */
  messages: Record<string, SandboxMessage>;
  /** Voice settings by carrier number id (absent in state files of older versions). */
  voice?: Record<string, SandboxVoiceSettings>;
  /** Toll-free verification requests by our reference (absent in state files of older versions). */
  tollFreeVerifications?: Record<string, SandboxTollFreeVerification>;
  /** Emergency address records by their id (each with our reference). */
  emergencyAddresses?: Record<string, EmergencyAddressRequest & { id: string }>;
  /** The emergency address enabled on each number, by carrier number id. */
  emergencyByNumber?: Record<string, string>;
}

/**
 * The sandbox's emergency-address fault switches: an address whose street contains "REJECT" or whose
 * postal code is 00000 is refused (like Telnyx's 422 for an address it cannot validate); one whose
 * street contains "SLOW" is accepted but its numbers' emergency service stays provisioning
 * (PENDING) until `completeEmergency()`.
 */
export const SANDBOX_REJECTED_ADDRESS_REASON = "The address could not be validated for emergency services (street or postal code not found)";
export const sandboxRefusesAddress = (address: { street: string; postalCode: string }) => /REJECT/i.test(address.street) || address.postalCode === "00000";
const sandboxSlowAddress = (address: { street: string }) => /SLOW/i.test(address.street);

/** A toll-free verification request the sandbox holds; `creations` counts the requests that created it (tests check it is 1). */
export type SandboxTollFreeVerification = TollFreeVerificationRequest & { requestId: string; creations: number };

/** Area codes whose inventory is always empty, to exercise fallback and shortage handling. */
export const SANDBOX_SOLD_OUT_AREA_CODES = ["212", "917"];

/** One area code of the sandbox's built-in NANP table: where its numbers are, as a carrier would say. */
export interface SandboxAreaCode {
  areaCode: string;
  country: "US" | "CA";
  /** The city (rate center) its numbers are in. */
  locality: string;
  /** USPS state or Canada Post province code. */
  region: string;
  /** A few postal codes the area code serves (enough for postal-code searches in tests and demos). */
  postalCodes: string[];
}

/**
 * The sandbox's local inventory: a small, fixed table of US and Canadian area codes (the first 18
 * are the area codes the sandbox has always stocked, in their old order, so earlier searches list
 * the same numbers). 212 and 917 are listed but sold out. Overlays (212/646/917 New York) share
 * their city and postal codes.
 */
export const SANDBOX_AREA_CODES: readonly SandboxAreaCode[] = [
  { areaCode: "201", country: "US", locality: "Jersey City", region: "NJ", postalCodes: ["07302", "07306", "07310"] },
  { areaCode: "202", country: "US", locality: "Washington", region: "DC", postalCodes: ["20001", "20002", "20005"] },
  { areaCode: "206", country: "US", locality: "Seattle", region: "WA", postalCodes: ["98101", "98104", "98109"] },
  { areaCode: "213", country: "US", locality: "Los Angeles", region: "CA", postalCodes: ["90012", "90013", "90017"] },
  { areaCode: "303", country: "US", locality: "Denver", region: "CO", postalCodes: ["80202", "80203", "80205"] },
  { areaCode: "305", country: "US", locality: "Miami", region: "FL", postalCodes: ["33128", "33130", "33131"] },
  { areaCode: "312", country: "US", locality: "Chicago", region: "IL", postalCodes: ["60601", "60602", "60606"] },
  { areaCode: "404", country: "US", locality: "Atlanta", region: "GA", postalCodes: ["30303", "30308", "30309"] },
  { areaCode: "415", country: "US", locality: "San Francisco", region: "CA", postalCodes: ["94102", "94103", "94105"] },
  { areaCode: "512", country: "US", locality: "Austin", region: "TX", postalCodes: ["78701", "78702", "78704"] },
  { areaCode: "617", country: "US", locality: "Boston", region: "MA", postalCodes: ["02108", "02110", "02116"] },
  { areaCode: "646", country: "US", locality: "New York", region: "NY", postalCodes: ["10001", "10011", "10016"] },
  { areaCode: "702", country: "US", locality: "Las Vegas", region: "NV", postalCodes: ["89101", "89109"] },
  { areaCode: "713", country: "US", locality: "Houston", region: "TX", postalCodes: ["77002", "77003", "77004"] },
  { areaCode: "818", country: "US", locality: "Burbank", region: "CA", postalCodes: ["91502", "91505"] },
  { areaCode: "416", country: "CA", locality: "Toronto", region: "ON", postalCodes: ["M5V 3L9", "M5H 2N2", "M4W 1A8"] },
  { areaCode: "604", country: "CA", locality: "Vancouver", region: "BC", postalCodes: ["V6B 1A1", "V6C 3E1", "V6E 4M2"] },
  { areaCode: "514", country: "CA", locality: "Montreal", region: "QC", postalCodes: ["H2Y 1C6", "H3B 4W8"] },
  { areaCode: "212", country: "US", locality: "New York", region: "NY", postalCodes: ["10001", "10011", "10016"] },
  { areaCode: "917", country: "US", locality: "New York", region: "NY", postalCodes: ["10001", "10011", "10016"] },
  { areaCode: "310", country: "US", locality: "Santa Monica", region: "CA", postalCodes: ["90401", "90403"] },
  { areaCode: "214", country: "US", locality: "Dallas", region: "TX", postalCodes: ["75201", "75202"] },
  { areaCode: "602", country: "US", locality: "Phoenix", region: "AZ", postalCodes: ["85003", "85004"] },
  { areaCode: "503", country: "US", locality: "Portland", region: "OR", postalCodes: ["97204", "97205"] },
  { areaCode: "612", country: "US", locality: "Minneapolis", region: "MN", postalCodes: ["55401", "55402"] },
  { areaCode: "215", country: "US", locality: "Philadelphia", region: "PA", postalCodes: ["19102", "19103"] },
  { areaCode: "619", country: "US", locality: "San Diego", region: "CA", postalCodes: ["92101", "92103"] },
  { areaCode: "403", country: "CA", locality: "Calgary", region: "AB", postalCodes: ["T2P 1J9", "T2P 2M5"] },
  { areaCode: "613", country: "CA", locality: "Ottawa", region: "ON", postalCodes: ["K1P 1J1", "K1P 5G4"] },
];

/**
 * Vanity numbers every stocked area code (toll-free included) also offers, so that keypad searches
 * find something: +1 NPA 356-9377 spells FLOWERS.
 */
export const SANDBOX_VANITY_WORDS = ["FLOWERS", "CALLNOW", "LAWYERS", "PLUMBER", "DENTIST"];

const PER_AREA_CODE = 40;
const TOLL_FREE_MONTHLY_CENTS = 200;

/**
 * The numbers one area code offers, always the same in the same order: 40 generated numbers (the
 * generator the sandbox always used), then the vanity numbers. Toll-free area codes are numbered
 * in the US, with no locality or region; MOBILE numbers the sandbox has none (it sells NANP only,
 * whose numbering plan has no separate mobile ranges).
 */
function inventory(areaCode: string): AvailableNumber[] {
  const tollFree = isTollFreeAreaCode(areaCode);
  const area = SANDBOX_AREA_CODES.find((a) => a.areaCode === areaCode);
  if ((!tollFree && !area) || SANDBOX_SOLD_OUT_AREA_CODES.includes(areaCode)) return [];
  const country = area?.country ?? "US";
  const seed = createHash("sha256").update(`${country}:${areaCode}`).digest();
  const numbers: AvailableNumber[] = [];
  const offer = (exchange: string, line: string, i: number) => {
    const parsed = parseE164(`+1${areaCode}${exchange}${line}`);
    if (!parsed.ok || parsed.country !== country || numbers.some((n) => n.e164 === parsed.e164)) return;
    numbers.push({
      e164: parsed.e164,
      friendlyName: `(${areaCode}) ${exchange}-${line}`,
      locality: area?.locality ?? null,
      region: area?.region ?? null,
      country,
      numberType: tollFree ? "TOLL_FREE" : "LOCAL",
      features: i % 5 === 4 ? ["voice"] : ["voice", "sms", "mms"],
      monthlyCostCents: tollFree ? TOLL_FREE_MONTHLY_CENTS : 100,
      upfrontCostCents: 100,
    });
  };
  for (let i = 0; numbers.length < PER_AREA_CODE && i < 400; i++) {
    const exchange = 200 + ((seed.readUInt16BE(i % 30) + i * 37) % 800);
    const line = (seed.readUInt16BE((i + 7) % 30) * 7 + i * 131) % 10000;
    offer(String(exchange), String(line).padStart(4, "0"), i);
  }
  for (const word of SANDBOX_VANITY_WORDS) {
    const digits = keypadDigits(word)!;
    offer(digits.slice(0, 3), digits.slice(3), 0);
  }
  return numbers;
}

/** The area codes a search looks in, in the table's order. */
function areaCodesFor(criteria: SearchCriteria): string[] {
  if (criteria.numberType === "MOBILE") return [];
  const tollFreeCode = criteria.areaCode !== undefined && isTollFreeAreaCode(criteria.areaCode);
  // A local search in a toll-free area code (the service refuses it first) finds nothing, like a carrier.
  if (criteria.numberType === "LOCAL" && tollFreeCode) return [];
  if (criteria.numberType === "TOLL_FREE" || tollFreeCode) {
    // Toll-free numbers have no place: any locality, region or postal code finds none.
    if (criteria.country !== "US" || criteria.locality || criteria.region || criteria.postalCode) return [];
    return criteria.areaCode ? [criteria.areaCode].filter(isTollFreeAreaCode) : [...TOLL_FREE_AREA_CODES];
  }
  const locality = criteria.locality?.trim().toLowerCase();
  return SANDBOX_AREA_CODES.filter(
    (a) =>
      a.country === criteria.country &&
      (!criteria.areaCode || a.areaCode === criteria.areaCode) &&
      (!locality || a.locality.toLowerCase() === locality) &&
      (!criteria.region || a.region === criteria.region) &&
      (!criteria.postalCode || a.postalCodes.includes(criteria.postalCode)),
  ).map((a) => a.areaCode);
}

/** Closeness of a number to `near` (same area code): its exchange, then its line, by numeric distance. */
function distance(e164: string, near: string): number {
  return Math.abs(Number(e164.slice(5, 8)) - Number(near.slice(5, 8))) * 10_000 + Math.abs(Number(e164.slice(8)) - Number(near.slice(8)));
}

/**
 * The default carrier: deterministic inventory, no network. Its orders and numbers can persist to
 * a file so that, like a real carrier, it remembers what it sold when Switchboard restarts.
 */
export class SandboxCarrier implements CarrierAdapter {
  readonly name = "sandbox" as const;
  readonly faults: SandboxFaults = {
    latencyMs: 0,
    unavailableNext: 0,
    hangNext: 0,
    timeoutAfterCommitNext: 0,
    refuse: new Set(),
    delayCompletion: false,
    crashAfter: new Set(),
    timeoutAfterSendNext: 0,
    timeoutAfterTollFreeSubmitNext: 0,
  };
  readonly sendsDedupedByReference = true;
  /** Calls made, by method, for tests that check nothing reached the carrier. */
  readonly calls: Record<string, number> = {};
  /**
   * How long after accepting a message the sandbox reports its delivery (SANDBOX_DELIVERY_DELAY_MS);
   * null: no reports, messages stay SENT unless a status is posted to /webhooks/sandbox. Read at each
   * send, so tests may change it.
   */
  deliveryDelayMs: number | null = null;
  #state: SandboxState = { orders: {}, numbers: {}, messages: {} };
  #webhooks?: SandboxWebhookHandler;
  /** Report timers by message reference, and reports being handed over now. */
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #reporting = new Set<Promise<void>>();
  #stopped = false;

  constructor(private readonly stateFile?: string) {
    if (stateFile) {
      try {
        this.#state = { orders: {}, numbers: {}, messages: {}, ...(JSON.parse(readFileSync(stateFile, "utf8")) as Partial<SandboxState>) };
      } catch {
        // No state yet: a fresh carrier account.
      }
    }
  }

  /** Completes every pending order (when `delayCompletion` is on). */
  completeOrders(): void {
    for (const order of Object.values(this.#state.orders)) {
      if (order.status !== "PENDING") continue;
      order.status = "SUCCESS";
      this.#state.numbers[order.carrierNumberId!]!.status = "ACTIVE";
    }
    this.#save();
  }

  /** Fails a pending order (the carrier could not provision the number after all). */
  failOrder(orderId: string, reason = "provisioning failed at the carrier"): void {
    const order = this.#state.orders[orderId];
    if (!order) return;
    order.status = "FAILURE";
    order.failureReason = reason;
    delete this.#state.numbers[order.carrierNumberId!];
    this.#save();
  }

  /** Removes a number at the carrier without telling Switchboard (reconciliation tests). */
  forgetNumber(e164: string): void {
    for (const [id, number] of Object.entries(this.#state.numbers)) if (number.e164 === e164) delete this.#state.numbers[id];
    this.#save();
  }

  /** Adds a number at the carrier that Switchboard never recorded (reconciliation tests). */
  addOrphan(e164: string, reference: string): CarrierOrder {
    const carrierNumberId = `sbx_num_${randomUUID()}`;
    const order: CarrierOrder = { id: `sbx_ord_${randomUUID()}`, status: "SUCCESS", e164, reference, carrierNumberId, failureReason: null };
    this.#state.orders[order.id] = order;
    this.#state.numbers[carrierNumberId] = { e164, carrierNumberId, status: "ACTIVE" };
    this.#save();
    return { ...order };
  }

  readonly searchesByPostalCode = true;

  /**
   * Searches the built-in table (SANDBOX_AREA_CODES and the toll-free area codes): area code,
   * type, locality, region and postal code choose the area codes; `contains` matches the digits
   * after the country code; `nearNumber` orders by closeness of exchange and line.
   */
  async searchAvailable(criteria: SearchCriteria): Promise<AvailableNumber[]> {
    await this.#enter("searchAvailable");
    const sold = new Set(Object.values(this.#state.numbers).map((n) => n.e164));
    const found = areaCodesFor(criteria)
      .flatMap((areaCode) => inventory(areaCode))
      .filter((n) => !sold.has(n.e164) && !this.faults.refuse.has(n.e164))
      .filter((n) => !criteria.contains || n.e164.slice(1).includes(criteria.contains))
      .filter((n) => !criteria.features?.some((f) => !n.features.includes(f)));
    const near = criteria.nearNumber;
    if (near?.startsWith("+1")) found.sort((a, b) => distance(a.e164, near) - distance(b.e164, near));
    return found.slice(0, criteria.limit);
  }

  async placeOrder(request: { e164: string; reference: string }): Promise<CarrierOrder> {
    await this.#enter("placeOrder");
    const existing = Object.values(this.#state.orders).find((o) => o.reference === request.reference);
    if (existing) return { ...existing };
    const offered = request.e164.startsWith("+1") && inventory(request.e164.slice(2, 5)).some((n) => n.e164 === request.e164);
    const sold = Object.values(this.#state.numbers).some((n) => n.e164 === request.e164);
    if (!offered || sold || this.faults.refuse.has(request.e164)) {
      throw new CarrierFailure("REJECTED", `${request.e164} is no longer available`, this.name);
    }
    const carrierNumberId = `sbx_num_${randomUUID()}`;
    const status = this.faults.delayCompletion ? "PENDING" : "SUCCESS";
    const order: CarrierOrder = { id: `sbx_ord_${randomUUID()}`, status, e164: request.e164, reference: request.reference, carrierNumberId, failureReason: null };
    this.#state.orders[order.id] = order;
    this.#state.numbers[carrierNumberId] = { e164: request.e164, carrierNumberId, status: status === "SUCCESS" ? "ACTIVE" : "PENDING" };
    this.#save();
    this.#crashAfter("order");
    if (this.faults.timeoutAfterCommitNext > 0) {
      this.faults.timeoutAfterCommitNext--;
      throw new CarrierFailure("TIMEOUT", "the carrier did not answer in time", this.name);
    }
    return { ...order };
  }

  async getOrder(orderId: string): Promise<CarrierOrder> {
    await this.#enter("getOrder");
    const order = this.#state.orders[orderId];
    if (!order) throw new CarrierFailure("NOT_FOUND", `order ${orderId} not found`, this.name);
    return { ...order };
  }

  async findOrderByReference(reference: string): Promise<CarrierOrder | undefined> {
    await this.#enter("findOrderByReference");
    const order = Object.values(this.#state.orders).find((o) => o.reference === reference);
    return order && { ...order };
  }

  async releaseNumber(carrierNumberId: string): Promise<void> {
    await this.#enter("releaseNumber");
    delete this.#state.numbers[carrierNumberId];
    this.#save();
  }

  async updateRouting(carrierNumberId: string): Promise<void> {
    await this.#enter("updateRouting");
    if (!this.#state.numbers[carrierNumberId]) throw new CarrierFailure("NOT_FOUND", `number ${carrierNumberId} not found`, this.name);
  }

  async listNumbers(): Promise<CarrierNumber[]> {
    await this.#enter("listNumbers");
    return Object.values(this.#state.numbers).map((n) => ({ ...n }));
  }

  /** The voice settings the sandbox holds for a number (tests check what reached the carrier). */
  voiceSettings(carrierNumberId: string): SandboxVoiceSettings {
    return { callerIdName: null, forwardsTo: null, forwardingType: null, ...this.#state.voice?.[carrierNumberId] };
  }

  /** Lists a caller ID name; "REJECT" (any case) is refused, as a carrier's CNAM review may refuse one. */
  async setCallerIdName(carrierNumberId: string, name: string | null): Promise<void> {
    await this.#enter("setCallerIdName");
    if (!this.#state.numbers[carrierNumberId]) throw new CarrierFailure("NOT_FOUND", `number ${carrierNumberId} not found`, this.name);
    if (name !== null && name.trim().toUpperCase() === SANDBOX_REJECTED_CALLER_ID_NAME) {
      throw new CarrierFailure("REJECTED", `caller ID name "${name}" was refused by the CNAM database (the sandbox's rejected test name, "${SANDBOX_REJECTED_CALLER_ID_NAME}")`, this.name);
    }
    this.#setVoice(carrierNumberId, { callerIdName: name });
    this.#crashAfter("caller-id-name");
  }

  /** Forwards unanswered calls; +1 NPA 555-0499 is refused as a destination. */
  async setCallForwarding(carrierNumberId: string, forwarding: CallForwarding | null): Promise<void> {
    await this.#enter("setCallForwarding");
    if (!this.#state.numbers[carrierNumberId]) throw new CarrierFailure("NOT_FOUND", `number ${carrierNumberId} not found`, this.name);
    if (forwarding && SANDBOX_REJECTED_FORWARDING.test(forwarding.forwardsTo)) {
      throw new CarrierFailure("REJECTED", `call forwarding to ${forwarding.forwardsTo} was refused: the destination cannot take forwarded calls (the sandbox's rejected test number, +1 NPA 555-0499)`, this.name);
    }
    this.#setVoice(carrierNumberId, { forwardsTo: forwarding?.forwardsTo ?? null, forwardingType: forwarding?.type ?? null });
    this.#crashAfter("call-forwarding");
  }

  #setVoice(carrierNumberId: string, change: Partial<SandboxVoiceSettings>): void {
    this.#state.voice ??= {};
    this.#state.voice[carrierNumberId] = { ...this.voiceSettings(carrierNumberId), ...change };
    this.#save();
  }

  /** Emergency service still provisioning, by carrier number id (the "SLOW" switch). */
  readonly #provisioningEmergency = new Set<string>();
  readonly #completedEmergency = new Set<string>();

  async createEmergencyAddress(request: EmergencyAddressRequest): Promise<{ carrierAddressId: string }> {
    await this.#enter("createEmergencyAddress");
    const addresses = (this.#state.emergencyAddresses ??= {});
    const existing = Object.values(addresses).find((a) => a.reference === request.reference);
    if (existing) return { carrierAddressId: existing.id };
    if (sandboxRefusesAddress(request)) throw new CarrierFailure("REJECTED", SANDBOX_REJECTED_ADDRESS_REASON, this.name);
    const id = `sbx_addr_${randomUUID()}`;
    addresses[id] = { ...request, id };
    this.#save();
    this.#crashAfter("emergency-address");
    return { carrierAddressId: id };
  }

  async enableEmergency(carrierNumberId: string, carrierAddressId: string): Promise<EmergencyActivation> {
    await this.#enter("enableEmergency");
    if (!this.#state.numbers[carrierNumberId]) throw new CarrierFailure("NOT_FOUND", `number ${carrierNumberId} not found`, this.name);
    const address = this.#state.emergencyAddresses?.[carrierAddressId];
    if (!address) throw new CarrierFailure("REJECTED", `emergency address ${carrierAddressId} not found`, this.name);
    (this.#state.emergencyByNumber ??= {})[carrierNumberId] = carrierAddressId;
    this.#save();
    this.#crashAfter("emergency-enable");
    if (sandboxSlowAddress(address) && !this.#completedEmergency.has(carrierNumberId)) {
      this.#provisioningEmergency.add(carrierNumberId);
      return "PENDING";
    }
    this.#provisioningEmergency.delete(carrierNumberId);
    return "ACTIVE";
  }

  async disableEmergency(carrierNumberId: string): Promise<void> {
    await this.#enter("disableEmergency");
    delete this.#state.emergencyByNumber?.[carrierNumberId];
    this.#provisioningEmergency.delete(carrierNumberId);
    this.#save();
  }

  /** The emergency address record enabled on a number, if any (tests). */
  emergencyAddressOf(carrierNumberId: string): (EmergencyAddressRequest & { id: string }) | undefined {
    const id = this.#state.emergencyByNumber?.[carrierNumberId];
    return id ? { ...this.#state.emergencyAddresses![id]! } : undefined;
  }

  /** Emergency address records created so far (tests). */
  emergencyAddressRecords(): Array<EmergencyAddressRequest & { id: string }> {
    return Object.values(this.#state.emergencyAddresses ?? {}).map((a) => ({ ...a }));
  }

  /** Finishes every emergency activation the "SLOW" switch held back: the next enable answers ACTIVE. */
  completeEmergency(): void {
    for (const id of this.#provisioningEmergency) this.#completedEmergency.add(id);
    this.#provisioningEmergency.clear();
  }

  /** Messages sent, newest last, for tests that check what reached the carrier. */
  readonly sent: Array<OutboundMessageRequest & { carrierMessageId: string }> = [];

  /** Every message accepted, by our reference (also what an earlier process of this account sent). */
  acceptedMessages(): SandboxMessage[] {
    return Object.values(this.#state.messages).map((m) => ({ ...m }));
  }

  /** Like a carrier with idempotent sends: a repeated reference returns the first message and texts nobody. */
  async sendMessage(request: OutboundMessageRequest): Promise<SentMessage> {
    await this.#enter("sendMessage");
    const existing = this.#state.messages[request.reference];
    if (existing) {
      existing.requests++;
      this.#save();
      return { carrierMessageId: existing.carrierMessageId, status: "QUEUED" };
    }
    if (SANDBOX_REJECTED_RECIPIENT.test(request.to)) {
      throw new CarrierFailure("REJECTED", `${request.to} cannot receive messages (the sandbox's rejected test number, +1 NPA 555-0400)`, this.name);
    }
    const carrierMessageId = `sbx_msg_${randomUUID()}`;
    const report = this.deliveryDelayMs === null ? undefined : this.#plannedReport(request.to, this.deliveryDelayMs);
    this.#state.messages[request.reference] = { ...request, carrierMessageId, requests: 1, ...(report ? { report } : {}) };
    this.sent.push({ ...request, carrierMessageId });
    // The report is owed from here on: it is in the saved state before anything can crash.
    this.#save();
    if (report) this.#schedule(request.reference, report.dueAt - Date.now(), 0);
    this.#crashAfter("send");
    if (this.faults.timeoutAfterSendNext > 0) {
      this.faults.timeoutAfterSendNext--;
      throw new CarrierFailure("TIMEOUT", "the carrier did not answer in time", this.name);
    }
    return { carrierMessageId, status: "QUEUED" };
  }

  /** A toll-free verification request by our reference (also what an earlier process of this account created). */
  tollFreeVerification(reference: string): SandboxTollFreeVerification | undefined {
    const found = this.#state.tollFreeVerifications?.[reference];
    return found && { ...found };
  }

  /**
   * Creates a toll-free verification request, "In Progress". Its special input: a business named
   * "Sandbox Refused ..." is refused (REJECTED), as a carrier refuses an invalid request.
   */
  async submitTollFreeVerification(request: TollFreeVerificationRequest): Promise<CarrierTollFreeVerification> {
    await this.#enter("submitTollFreeVerification");
    if (request.businessName.startsWith("Sandbox Refused")) {
      throw new CarrierFailure("REJECTED", "422: the sandbox refuses toll-free verifications of businesses named \"Sandbox Refused ...\"", this.name);
    }
    const requestId = `sbx_tfv_${randomUUID()}`;
    const held = (this.#state.tollFreeVerifications ??= {});
    held[request.reference] = { ...request, requestId, creations: (held[request.reference]?.creations ?? 0) + 1 };
    // Saved before anything can crash: the carrier holds the request from here on.
    this.#save();
    this.#crashAfter("toll-free-verification");
    if (this.faults.timeoutAfterTollFreeSubmitNext > 0) {
      this.faults.timeoutAfterTollFreeSubmitNext--;
      throw new CarrierFailure("TIMEOUT", "the carrier did not answer in time", this.name);
    }
    return { requestId, status: "In Progress" };
  }

  async findTollFreeVerification(reference: string): Promise<CarrierTollFreeVerification | undefined> {
    await this.#enter("findTollFreeVerification");
    const found = this.#state.tollFreeVerifications?.[reference];
    return found && { requestId: found.requestId, status: "In Progress" };
  }

  /**
   * Where the sandbox delivers its webhooks (delivery reports). Reports owed from before a restart
   * (in the state file) are scheduled now, as a carrier keeps reporting while Switchboard is down.
   */
  onWebhook(handler: SandboxWebhookHandler): void {
    this.#webhooks = handler;
    for (const [reference, message] of Object.entries(this.#state.messages)) {
      if (message.report && !message.report.reportedAt) this.#schedule(reference, message.report.dueAt - Date.now(), 0);
    }
  }

  /** Stops reporting (at shutdown) and waits for a report being handed over; owed ones stay in the state. */
  async stopReports(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#reporting);
  }

  /** Delivery reports still owed, for tests. */
  pendingReports(): number {
    return Object.values(this.#state.messages).filter((m) => m.report && !m.report.reportedAt).length;
  }

  #plannedReport(to: string, delayMs: number): SandboxReport {
    const undeliverable = SANDBOX_UNDELIVERABLE_RECIPIENT.test(to);
    return {
      eventId: `sbx_evt_${randomUUID()}`,
      status: undeliverable ? "FAILED" : "DELIVERED",
      errorCode: undeliverable ? "40008" : null,
      title: undeliverable ? "Undeliverable (the sandbox's undeliverable test number, +1 NPA 555-0404)" : null,
      dueAt: Date.now() + delayMs,
    };
  }

  #schedule(reference: string, delayMs: number, attempt: number): void {
    if (this.#stopped || this.#timers.has(reference)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(reference);
      const reporting = this.#report(reference, attempt).finally(() => this.#reporting.delete(reporting));
      this.#reporting.add(reporting);
    }, Math.max(0, delayMs));
    // A carrier's pending report never keeps the process alive.
    timer.unref();
    this.#timers.set(reference, timer);
  }

  /**
   * Hands one owed report over, like a carrier posting `message.finalized`. Switchboard answers
   * RETRY_LATER while the send's own answer is not recorded yet (the report overtook it, or a
   * crash interrupted the send until its lease ends); the report comes again with the same event
   * id, for about two minutes, then the sandbox gives up (the message stays SENT).
   */
  async #report(reference: string, attempt: number): Promise<void> {
    const message = this.#state.messages[reference];
    const report = message?.report;
    if (!message || !report || report.reportedAt || this.#stopped) return;
    let outcome = "RETRY_LATER";
    if (this.#webhooks) {
      const body = sandboxWebhookBody({
        eventId: report.eventId,
        eventType: "message.finalized",
        carrierMessageId: message.carrierMessageId,
        direction: "outbound",
        from: message.from,
        to: message.to,
        toStatus: report.status === "DELIVERED" ? "delivered" : "delivery_failed",
        errors: report.errorCode ? [{ code: report.errorCode, title: report.title ?? "" }] : [],
        attempt: attempt + 1,
      });
      outcome = await this.#webhooks(body).catch(() => "RETRY_LATER");
    }
    if (outcome === "RETRY_LATER" && attempt + 1 < REPORT_ATTEMPTS) {
      this.#schedule(reference, reportRetryMs(attempt), attempt + 1);
      return;
    }
    report.reportedAt = Date.now();
    this.#save();
  }

  /** The crash-safety tests' switch: the change is committed and saved; the process dies before answering. */
  #crashAfter(point: SandboxCrashPoint): void {
    if (this.faults.crashAfter.has(point)) process.kill(process.pid, "SIGKILL");
  }

  async #enter(method: string): Promise<void> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    if (this.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.latencyMs));
    if (this.faults.hangNext > 0) {
      this.faults.hangNext--;
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    }
    if (this.faults.unavailableNext > 0) {
      this.faults.unavailableNext--;
      throw new CarrierFailure("UNAVAILABLE", "503 Service Unavailable", this.name);
    }
  }

  #save(): void {
    if (this.stateFile) writeFileSync(this.stateFile, JSON.stringify(this.#state));
  }
}

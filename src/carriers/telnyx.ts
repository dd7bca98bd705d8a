import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import type Telnyx from "telnyx";
import type { APIConnectionError } from "telnyx";
import { numberTypeOf } from "../domain/number-type.ts";

/** The SDK, loaded when the carrier is first called: a server without Telnyx never holds it (about 35 MB). */
type TelnyxSdk = typeof import("telnyx");
import {
  CarrierFailure,
  type AvailableNumber,
  type CallForwarding,
  type CarrierAdapter,
  type CarrierNumber,
  type CarrierOrder,
  type CarrierOrderStatus,
  type CarrierTollFreeVerification,
  type EmergencyActivation,
  type EmergencyAddressRequest,
  type NumberFeature,
  type OutboundMessageRequest,
  type PhoneNumberType,
  type SearchCriteria,
  type SentMessage,
  type TollFreeVerificationRequest,
} from "./adapter.ts";

export interface TelnyxCarrierOptions {
  apiKey: string;
  /**
   * The API root, as the SDK's `baseURL` (default https://api.telnyx.com/v2). A bare origin such as
   * http://127.0.0.1:4010 gets "/v2" appended, so either form works.
   */
  baseUrl?: string;
  /** Deadline of each HTTP request (default 10 s). The SDK never retries: retries are the caller's. */
  timeoutMs?: number;
  /** Voice connection set on new orders and used by updateRouting when the call names none. */
  connectionId?: string;
  /** Messaging profile set on new orders and used by updateRouting when the call names none. */
  messagingProfileId?: string;
}

const DEFAULT_BASE_URL = "https://api.telnyx.com/v2";
const DEFAULT_TIMEOUT_MS = 10_000;
/** Telnyx's documented maximum page[size] for GET /v2/phone_numbers. */
const PAGE_SIZE = 250;
/** A bound on paging, so a misbehaving answer (total_pages never reached) cannot loop forever. */
const MAX_PAGES = 1_000;
const FEATURES: readonly NumberFeature[] = ["voice", "sms", "mms"];

/**
 * Phone number statuses (GET /v2/phone_numbers) of numbers the account no longer holds. The SDK
 * types spell them with hyphens, older docs with underscores; both are accepted.
 */
const GONE_STATUSES = new Set(["deleted", "purchase-failed", "port-failed", "ported-out"]);
/** Held and billed, though not plain "active". */
const HELD_STATUSES = new Set(["active", "emergency-only", "port-out-pending"]);

/** Wire shapes read here (all optional: the adapter checks what it uses). */
interface TelnyxOrderLine {
  id?: string;
  phone_number?: string;
  status?: string;
  requirements_status?: string;
}

interface TelnyxOrderData {
  id?: string;
  status?: string;
  customer_reference?: string | null;
  phone_numbers?: TelnyxOrderLine[];
}

interface TelnyxPhoneNumberData {
  id?: string;
  phone_number?: string;
  status?: string;
}

/**
 * The Telnyx carrier, through Telnyx's official SDK (`telnyx` v7), against Telnyx API v2:
 *
 * - searchAvailable: GET /available_phone_numbers (filter[...] query; see the method for the mapping)
 * - placeOrder: GET /number_orders?filter[customer_reference]= first (an existing order with the
 *   reference is returned, never a second one), then POST /number_orders
 * - getOrder: GET /number_orders/{id}; findOrderByReference: GET /number_orders?filter[customer_reference]=
 * - releaseNumber: DELETE /phone_numbers/{id} (404: already released)
 * - updateRouting: PATCH /phone_numbers/{id} { connection_id }, PATCH /phone_numbers/{id}/messaging { messaging_profile_id }
 * - listNumbers: GET /phone_numbers, every page
 * - setCallerIdName: PATCH /phone_numbers/{id}/voice { cnam_listing: { cnam_listing_enabled, cnam_listing_details } }
 * - setCallForwarding: PATCH /phone_numbers/{id}/voice { call_forwarding: { call_forwarding_enabled, forwards_to, forwarding_type } }
 * - createEmergencyAddress: GET /addresses?filter[customer_reference][eq]= first (an address with
 *   the reference is returned, never a second one), then POST /addresses (business_name = the caller
 *   name, street_address, extended_address, locality, administrative_area, postal_code,
 *   country_code, customer_reference); Telnyx validates it for emergency use on creation and
 *   answers 422 with its errors when it cannot
 * - enableEmergency / disableEmergency: POST /phone_numbers/{id}/actions/enable_emergency
 *   { emergency_enabled: true | false, emergency_address_id }; the answer's
 *   emergency.emergency_status "active" is ACTIVE, "provisioning" (or an accepted answer without
 *   it) PENDING, "provisioning-failed" a refusal
 *
 * A number order's `phone_numbers[].id` identifies the order line (record_type
 * "number_order_phone_number"), not the phone number; DELETE/PATCH /phone_numbers/{id} take the
 * phone number's own id. So an order's `carrierNumberId` is looked up with
 * GET /phone_numbers?filter[phone_number]=<digits> (exact match on the E.164 number); it is null
 * while Telnyx lists no such number (and always null for a failed order), and an order Telnyx
 * calls successful is reported PENDING until its number is listed. getOrder, placeOrder and
 * findOrderByReference therefore make two or three requests, each with its own timeoutMs.
 *
 * Every failure is a CarrierFailure: no answer within timeoutMs -> TIMEOUT; 5xx, 429 or no
 * connection -> UNAVAILABLE; 404 -> NOT_FOUND; other 4xx (401/403 included: a wrong key or missing
 * permission is a refusal, not an outage) -> REJECTED. Messages carry Telnyx's error title and
 * detail, never the API key.
 *
 * Two placeOrder calls with one reference that overlap in time can both miss the lookup and order
 * twice (Telnyx's number orders take no idempotency key): callers serialize orders per reference.
 */
export class TelnyxCarrier implements CarrierAdapter {
  readonly name = "telnyx" as const;
  readonly #clientOptions: ConstructorParameters<typeof Telnyx>[0];
  #sdk: Promise<{ sdk: TelnyxSdk; client: Telnyx }> | undefined;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #connectionId: string | undefined;
  readonly #messagingProfileId: string | undefined;

  constructor(options: TelnyxCarrierOptions) {
    if (!options.apiKey) throw new Error("TelnyxCarrier: apiKey is required");
    this.#apiKey = options.apiKey;
    this.#timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    this.#connectionId = options.connectionId || undefined;
    this.#messagingProfileId = options.messagingProfileId || undefined;
    this.#clientOptions = {
      apiKey: options.apiKey,
      baseURL: apiRoot(options.baseUrl ?? DEFAULT_BASE_URL),
      timeout: this.#timeoutMs,
      maxRetries: 0,
      // Explicit nulls, so TELNYX_PUBLIC_KEY / TELNYX_CLIENT_ID / TELNYX_CLIENT_SECRET in the
      // environment never switch the SDK to OAuth (which would call api.telnyx.com directly).
      publicKey: null,
      clientID: null,
      clientSecret: null,
      logLevel: "off",
    };
  }

  /** GET /available_phone_numbers has no postal-code filter: such searches are refused before any call. */
  readonly searchesByPostalCode = false;

  /**
   * GET /available_phone_numbers, mapped to Telnyx's documented filters:
   * numberType -> filter[phone_number_type] (local | toll_free | mobile), areaCode ->
   * filter[national_destination_code], contains -> filter[phone_number][contains] (keypad digits;
   * Telnyx matches after the NDC when both are given), locality -> filter[locality], region ->
   * filter[administrative_area], features -> filter[features]. nearNumber has no Telnyx filter: it
   * becomes the number's NDC (the service sets areaCode from it), and results are not reordered by
   * closeness. Results do not carry their type: the type asked for is theirs, else it is derived
   * from the E.164.
   */
  async searchAvailable(criteria: SearchCriteria): Promise<AvailableNumber[]> {
    if (criteria.postalCode) throw this.#fail("REJECTED", "telnyx searchAvailable: Telnyx number search has no postal code filter");
    const limit = Math.min(50, Math.max(1, Math.floor(criteria.limit)));
    const filter: NonNullable<Telnyx.AvailablePhoneNumberListParams["filter"]> = { country_code: criteria.country, limit };
    if (criteria.numberType) filter.phone_number_type = TELNYX_NUMBER_TYPES[criteria.numberType];
    if (criteria.areaCode) filter.national_destination_code = criteria.areaCode;
    if (criteria.contains) filter.phone_number = { contains: criteria.contains };
    if (criteria.locality) filter.locality = criteria.locality;
    if (criteria.region) filter.administrative_area = criteria.region;
    if (criteria.features?.length) filter.features = [...criteria.features];
    const response = await this.#call("searchAvailable", (client, options) => client.availablePhoneNumbers.list({ filter }, options));
    const numbers: AvailableNumber[] = [];
    for (const item of response.data ?? []) {
      const mapped = toAvailableNumber(item, criteria.country, criteria.numberType);
      if (mapped) numbers.push(mapped);
    }
    return numbers.slice(0, limit);
  }

  async placeOrder(request: { e164: string; reference: string }): Promise<CarrierOrder> {
    const existing = await this.findOrderByReference(request.reference);
    if (existing) {
      if (existing.e164 && existing.e164 !== request.e164) {
        throw new CarrierFailure(
          "REJECTED",
          `telnyx placeOrder: reference ${request.reference} already ordered ${existing.e164} (order ${existing.id}), not ${request.e164}`,
          this.name,
        );
      }
      return existing;
    }
    const body: Telnyx.NumberOrderCreateParams = {
      phone_numbers: [{ phone_number: request.e164 }],
      customer_reference: request.reference,
    };
    if (this.#connectionId) body.connection_id = this.#connectionId;
    if (this.#messagingProfileId) body.messaging_profile_id = this.#messagingProfileId;
    const response = await this.#call("placeOrder", (client, options) => client.numberOrders.create(body, options));
    if (!response.data?.id) throw this.#malformed("placeOrder", "the number order has no id");
    return this.#toOrder(response.data, request.reference, request.e164);
  }

  async getOrder(orderId: string): Promise<CarrierOrder> {
    const response = await this.#call("getOrder", (client, options) => client.numberOrders.retrieve(orderId, options));
    if (!response.data?.id) throw this.#malformed("getOrder", "the number order has no id");
    return this.#toOrder(response.data);
  }

  async findOrderByReference(reference: string): Promise<CarrierOrder | undefined> {
    const page = await this.#call("findOrderByReference", (client, options) =>
      client.numberOrders.list({ filter: { customer_reference: reference } }, options),
    );
    // Exact match on our side too: the filter's matching rules are not documented.
    const matches = (page.data ?? []).filter((order) => order.id && order.customer_reference === reference);
    const chosen = matches.find((order) => mapOrderStatus(order.status) !== "FAILURE") ?? matches[0];
    if (!chosen) return undefined;
    // List items may carry fewer details than the order itself; read the order when its number is missing.
    if (!chosen.phone_numbers?.[0]?.phone_number) return this.getOrder(chosen.id!);
    return this.#toOrder(chosen as TelnyxOrderData);
  }

  async releaseNumber(carrierNumberId: string): Promise<void> {
    try {
      await this.#call("releaseNumber", (client, options) => client.phoneNumbers.delete(carrierNumberId, options));
    } catch (error) {
      if (error instanceof CarrierFailure && error.kind === "NOT_FOUND") return;
      throw error;
    }
  }

  async updateRouting(carrierNumberId: string, routing: { connectionId?: string; messagingProfileId?: string }): Promise<void> {
    const connectionId = routing.connectionId ?? this.#connectionId;
    const messagingProfileId = routing.messagingProfileId ?? this.#messagingProfileId;
    if (connectionId !== undefined) {
      await this.#call("updateRouting", (client, options) =>
        client.phoneNumbers.update(carrierNumberId, { connection_id: connectionId }, options),
      );
    }
    if (messagingProfileId !== undefined) {
      await this.#call("updateRouting", (client, options) =>
        client.phoneNumbers.messaging.update(carrierNumberId, { messaging_profile_id: messagingProfileId }, options),
      );
    }
  }

  /**
   * The number's CNAM listing (Telnyx: "alphanumeric characters or spaces with a maximum length of
   * 15"; enabling needs the details). Null turns the listing off. Each call sends only the
   * cnam_listing object, so the number's other voice settings (forwarding, emergency) stay as they are.
   */
  async setCallerIdName(carrierNumberId: string, name: string | null): Promise<void> {
    const cnam_listing: Telnyx.PhoneNumbers.CnamListing = name === null ? { cnam_listing_enabled: false } : { cnam_listing_enabled: true, cnam_listing_details: name };
    await this.#call("setCallerIdName", (client, options) => client.phoneNumbers.voice.update(carrierNumberId, { cnam_listing }, options));
  }

  /**
   * Call forwarding: Telnyx forwards inbound calls to `forwards_to` (E.164), every call ("always") or
   * when delivering one to the number's connection fails ("on-failure"). Null turns forwarding off.
   * Only the call_forwarding object is sent.
   */
  async setCallForwarding(carrierNumberId: string, forwarding: CallForwarding | null): Promise<void> {
    const call_forwarding: Telnyx.PhoneNumbers.CallForwarding =
      forwarding === null ? { call_forwarding_enabled: false } : { call_forwarding_enabled: true, forwards_to: forwarding.forwardsTo, forwarding_type: forwarding.type };
    await this.#call("setCallForwarding", (client, options) => client.phoneNumbers.voice.update(carrierNumberId, { call_forwarding }, options));
  }

  async listNumbers(): Promise<CarrierNumber[]> {
    const byId = new Map<string, CarrierNumber>();
    for (let pageNumber = 1; pageNumber <= MAX_PAGES; pageNumber++) {
      const page = await this.#call("listNumbers", (client, options) =>
        client.phoneNumbers.list({ "page[number]": pageNumber, "page[size]": PAGE_SIZE }, options),
      );
      const items = (page.data ?? []) as TelnyxPhoneNumberData[];
      for (const item of items) {
        const mapped = toCarrierNumber(item);
        if (mapped) byId.set(mapped.carrierNumberId, mapped);
      }
      const totalPages = Number(page.meta?.total_pages ?? 0);
      if (items.length === 0 || !Number.isFinite(totalPages) || pageNumber >= totalPages) break;
    }
    return [...byId.values()];
  }

  /**
   * POST /v2/messages; Telnyx answers with the message queued, and reports later moves by webhook.
   * The request carries `Idempotency-Key: <our message id>`. Telnyx documents that header as a
   * general mechanism (successful answers replayed for 24 hours, same key, method, path and
   * byte-identical body) that applies only on endpoints whose reference declares it, and the send
   * message reference does not promise it, so `sendsDedupedByReference` is false: a send whose outcome
   * is unknown is FAILED (CARRIER_OUTCOME_UNKNOWN) rather than repeated.
   */
  readonly sendsDedupedByReference = false;

  async sendMessage(request: OutboundMessageRequest): Promise<SentMessage> {
    const body: Telnyx.MessageSendParams = { from: request.from, to: request.to, text: request.text };
    if (request.mediaUrls.length > 0) body.media_urls = [...request.mediaUrls];
    if (this.#messagingProfileId) body.messaging_profile_id = this.#messagingProfileId;
    const response = await this.#call("sendMessage", (client, options) =>
      client.messages.send(body, { ...options, headers: { "Idempotency-Key": request.reference } }),
    );
    if (!response.data?.id) throw this.#malformed("sendMessage", "the message has no id");
    const status = response.data.to?.[0]?.status;
    return { carrierMessageId: response.data.id, status: status === "sent" || status === "delivered" ? "SENT" : "QUEUED" };
  }

  /**
   * POST /v2/messaging_tollfree/verification/requests. The request has no reference field, so ours
   * goes into additionalInformation (which the carrier's reviewers read), where
   * findTollFreeVerification finds it again.
   */
  async submitTollFreeVerification(request: TollFreeVerificationRequest): Promise<CarrierTollFreeVerification> {
    const body: Telnyx.MessagingTollfree.Verification.RequestCreateParams = {
      businessName: request.businessName,
      corporateWebsite: request.website,
      businessAddr1: request.address.street,
      ...(request.address.street2 ? { businessAddr2: request.address.street2 } : {}),
      businessCity: request.address.city,
      businessState: request.address.region,
      businessZip: request.address.postalCode,
      businessContactFirstName: request.contact.firstName,
      businessContactLastName: request.contact.lastName,
      businessContactEmail: request.contact.email,
      businessContactPhone: request.contact.phone,
      messageVolume: messageVolume(request.expectedMonthlyVolume),
      phoneNumbers: request.phoneNumbers.map((phoneNumber) => ({ phoneNumber })),
      useCase: TOLL_FREE_USE_CASES[request.useCase] ?? "Mixed",
      useCaseSummary: request.useCaseSummary,
      productionMessageContent: request.sampleMessages.join("\n\n"),
      optInWorkflow: request.optInDescription,
      optInWorkflowImageURLs: request.optInImageUrls.map((url) => ({ url })),
      additionalInformation: [request.additionalInformation, referenceNote(request.reference)].filter(Boolean).join("\n\n"),
    };
    const created = await this.#call("submitTollFreeVerification", (client, options) => client.messagingTollfree.verification.requests.create(body, options));
    if (!created?.id) throw this.#malformed("submitTollFreeVerification", "the verification request has no id");
    return { requestId: created.id, status: created.verificationStatus ?? "In Progress" };
  }

  /** GET /v2/messaging_tollfree/verification/requests?phone_number=: the one whose additionalInformation names our reference. */
  async findTollFreeVerification(reference: string, phoneNumbers: readonly string[]): Promise<CarrierTollFreeVerification | undefined> {
    if (phoneNumbers.length === 0) return undefined;
    const note = referenceNote(reference);
    const page = await this.#call("findTollFreeVerification", (client, options) =>
      client.messagingTollfree.verification.requests.list({ phone_number: phoneNumbers[0]!, page: 1, page_size: 100 }, options),
    );
    const found = (page.records ?? []).find((r) => r.additionalInformation?.includes(note));
    return found?.id ? { requestId: found.id, status: found.verificationStatus ?? "In Progress" } : undefined;
  }

  async createEmergencyAddress(request: EmergencyAddressRequest): Promise<{ carrierAddressId: string }> {
    const page = await this.#call("findEmergencyAddress", (client, options) =>
      client.addresses.list({ filter: { customer_reference: { eq: request.reference } } }, options),
    );
    // Exact match on our side too, as for orders.
    const existing = (page.data ?? []).find((address) => address.id && address.customer_reference === request.reference);
    if (existing) return { carrierAddressId: existing.id! };
    // Telnyx wants a business name or a first and last name; the caller name is sent as the business
    // name, which is what a PSAP sees for a business line. (The SDK's type marks all three required.)
    const body = {
      business_name: request.callerName,
      street_address: request.street,
      ...(request.unit ? { extended_address: request.unit } : {}),
      locality: request.city,
      administrative_area: request.region,
      postal_code: request.postalCode,
      country_code: request.country,
      customer_reference: request.reference,
    } as Telnyx.AddressCreateParams;
    const response = await this.#call("createEmergencyAddress", (client, options) => client.addresses.create(body, options));
    if (!response.data?.id) throw this.#malformed("createEmergencyAddress", "the address has no id");
    return { carrierAddressId: response.data.id };
  }

  async enableEmergency(carrierNumberId: string, carrierAddressId: string): Promise<EmergencyActivation> {
    const response = await this.#call("enableEmergency", (client, options) =>
      client.phoneNumbers.actions.enableEmergency(carrierNumberId, { emergency_enabled: true, emergency_address_id: carrierAddressId }, options),
    );
    const status = response?.data?.emergency?.emergency_status;
    if (status === "provisioning-failed") {
      throw this.#fail("REJECTED", "telnyx enableEmergency: Telnyx could not provision emergency service on the number with this address (provisioning-failed)");
    }
    return status === "active" ? "ACTIVE" : "PENDING";
  }

  async disableEmergency(carrierNumberId: string, carrierAddressId: string): Promise<void> {
    try {
      await this.#call("disableEmergency", (client, options) =>
        client.phoneNumbers.actions.enableEmergency(carrierNumberId, { emergency_enabled: false, emergency_address_id: carrierAddressId }, options),
      );
    } catch (error) {
      // A number Telnyx no longer has has no emergency service either.
      if (error instanceof CarrierFailure && error.kind === "NOT_FOUND") return;
      throw error;
    }
  }

  /** Maps an order; `reference` and `e164` fill in what the answer leaves out. */
  async #toOrder(data: TelnyxOrderData, reference?: string, e164?: string): Promise<CarrierOrder> {
    const line = data.phone_numbers?.[0];
    let status = mapOrderStatus(data.status);
    const number = line?.phone_number ?? e164 ?? "";
    const carrierNumberId = status === "FAILURE" || !number ? null : await this.#findNumberId(number);
    // SUCCESS is reported only with the number's id (no ACTIVE number without a carrier number):
    // until Telnyx lists the number, the order still counts as PENDING and is asked again later.
    if (status === "SUCCESS" && carrierNumberId === null) status = "PENDING";
    return {
      id: data.id!,
      status,
      e164: number,
      reference: data.customer_reference ?? reference ?? "",
      carrierNumberId,
      failureReason: status === "FAILURE" ? failureReason(line) : null,
    };
  }

  /** The id of the account's phone number with this E.164, if Telnyx lists one still held. */
  async #findNumberId(e164: string): Promise<string | null> {
    // The filter takes digits only ("non-numerical characters will result in no values") and
    // matches partially, so the exact number is picked here.
    const digits = e164.replace(/\D/g, "");
    const page = await this.#call("lookUpNumber", (client, options) =>
      client.phoneNumbers.list({ filter: { phone_number: digits }, "page[size]": PAGE_SIZE }, options),
    );
    const held = ((page.data ?? []) as TelnyxPhoneNumberData[]).find(
      (n) => n.phone_number === e164 && n.id && !GONE_STATUSES.has(normalizeStatus(n.status)),
    );
    return held?.id ?? null;
  }

  /** Runs one SDK request with a deadline that also covers reading the body, mapping every failure. */
  async #call<T>(operation: string, request: (client: Telnyx, options: { signal: AbortSignal }) => PromiseLike<T>): Promise<T> {
    this.#sdk ??= import("telnyx").then((sdk) => ({ sdk, client: new sdk.default(this.#clientOptions) }));
    const { sdk, client } = await this.#sdk;
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    try {
      return await request(client, { signal: deadline });
    } catch (error) {
      throw this.#failure(sdk, operation, error, deadline.aborted);
    }
  }

  #failure({ APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError }: TelnyxSdk, operation: string, error: unknown, deadlinePassed: boolean): CarrierFailure {
    const prefix = `telnyx ${operation}`;
    if (error instanceof CarrierFailure) return error;
    if (error instanceof APIConnectionTimeoutError || (error instanceof APIUserAbortError && deadlinePassed)) {
      return this.#fail("TIMEOUT", `${prefix}: no answer within ${this.#timeoutMs} ms`);
    }
    if (error instanceof APIConnectionError) {
      return this.#fail("UNAVAILABLE", `${prefix}: could not reach Telnyx (${connectionCause(error)})`);
    }
    if (error instanceof APIError && typeof error.status === "number") {
      const status = error.status;
      const message = `${prefix}: HTTP ${status}${describeErrorBody(error.error)}`;
      if (status === 404) return this.#fail("NOT_FOUND", message);
      if (status === 408) return this.#fail("TIMEOUT", message);
      if (status === 429 || status >= 500) return this.#fail("UNAVAILABLE", message);
      return this.#fail("REJECTED", message);
    }
    if (deadlinePassed) return this.#fail("TIMEOUT", `${prefix}: no answer within ${this.#timeoutMs} ms`);
    const reason = error instanceof Error ? error.message : String(error);
    return this.#fail("UNAVAILABLE", `${prefix}: unexpected failure (${reason})`);
  }

  #malformed(operation: string, what: string): CarrierFailure {
    return this.#fail("UNAVAILABLE", `telnyx ${operation}: unexpected answer: ${what}`);
  }

  #fail(kind: CarrierFailure["kind"], message: string): CarrierFailure {
    // Belt and braces: nothing above should quote the key, but an echoing server could.
    const safe = this.#apiKey.length >= 8 ? message.split(this.#apiKey).join("[redacted]") : message;
    return new CarrierFailure(kind, safe, this.name);
  }
}

/** Our SmsUseCase values as Telnyx's toll-free use case categories. */
const TOLL_FREE_USE_CASES: Record<string, Telnyx.MessagingTollfree.Verification.UseCaseCategories> = {
  TWO_FACTOR_AUTHENTICATION: "2FA",
  ACCOUNT_NOTIFICATION: "App Notifications",
  CUSTOMER_CARE: "Conversational / Alerts",
  DELIVERY_NOTIFICATION: "Order Notifications",
  FRAUD_ALERT: "Fraud Alerts",
  MARKETING: "General Marketing",
  MIXED: "Mixed",
  LOW_VOLUME_MIXED: "Mixed",
};

const MESSAGE_VOLUMES: Array<[number, Telnyx.MessagingTollfree.Verification.Volume]> = [
  [10, "10"],
  [100, "100"],
  [1_000, "1,000"],
  [10_000, "10,000"],
  [100_000, "100,000"],
  [250_000, "250,000"],
  [500_000, "500,000"],
  [750_000, "750,000"],
  [1_000_000, "1,000,000"],
  [5_000_000, "5,000,000"],
];

/** Telnyx's messageVolume: the smallest of its buckets that holds the expected monthly volume. */
export function messageVolume(perMonth: number): Telnyx.MessagingTollfree.Verification.Volume {
  return MESSAGE_VOLUMES.find(([limit]) => perMonth <= limit)?.[1] ?? "10,000,000+";
}

const referenceNote = (reference: string) => `Switchboard reference: ${reference}`;

/** The SDK's baseURL: the API root including "/v2". */
function apiRoot(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/v2";
  return url.toString().replace(/\/+$/, "");
}

export function mapOrderStatus(status: string | undefined): CarrierOrderStatus {
  if (status === "success") return "SUCCESS";
  if (status === "failure") return "FAILURE";
  return "PENDING";
}

function failureReason(line: TelnyxOrderLine | undefined): string {
  const details = [line?.status && `number ${line.status}`, line?.requirements_status && `requirements ${line.requirements_status}`].filter(Boolean);
  return `Telnyx number order failed${details.length ? ` (${details.join(", ")})` : ""}`;
}

function normalizeStatus(status: string | undefined): string {
  return (status ?? "").toLowerCase().replace(/_/g, "-");
}

function toCarrierNumber(item: TelnyxPhoneNumberData): CarrierNumber | undefined {
  if (!item.id || !item.phone_number) return undefined;
  const status = normalizeStatus(item.status);
  if (GONE_STATUSES.has(status)) return undefined;
  return { e164: item.phone_number, carrierNumberId: item.id, status: HELD_STATUSES.has(status) ? "ACTIVE" : "PENDING" };
}

type TelnyxAvailableNumber = NonNullable<Telnyx.AvailablePhoneNumberListResponse["data"]>[number];

/** Switchboard's number types as Telnyx's filter[phone_number_type] values. */
const TELNYX_NUMBER_TYPES = { LOCAL: "local", TOLL_FREE: "toll_free", MOBILE: "mobile" } as const satisfies Record<PhoneNumberType, string>;

function toAvailableNumber(item: TelnyxAvailableNumber, requestedCountry: string, requestedType?: PhoneNumberType): AvailableNumber | undefined {
  const e164 = item.phone_number;
  if (!e164) return undefined;
  const region = (type: string) => item.region_information?.find((r) => r.region_type === type)?.region_name || null;
  const parsed = parsePhoneNumberFromString(e164);
  const names = new Set((item.features ?? []).map((f) => f.name?.toLowerCase()));
  return {
    e164,
    friendlyName: parsed?.formatNational() ?? e164,
    locality: displayName(region("rate_center") ?? region("location")),
    region: region("state"),
    country: region("country_code") ?? parsed?.country ?? requestedCountry,
    numberType: requestedType ?? numberTypeOf(e164),
    features: FEATURES.filter((f) => names.has(f)),
    monthlyCostCents: toCents(item.cost_information?.monthly_cost),
    upfrontCostCents: toCents(item.cost_information?.upfront_cost),
  };
}

/** Rate centers come in capitals ("SAN FRANCISCO"); shown as "San Francisco". Mixed case is kept. */
function displayName(name: string | null): string | null {
  if (!name || name !== name.toUpperCase()) return name;
  return name.toLowerCase().replace(/(^|[\s\-'/.])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase());
}

/**
 * A decimal amount in dollars ("1.00", "0.35", "2.5", "1") as integer cents, rounded half up on the
 * third decimal, without floating point. Missing or unreadable amounts count as 0.
 */
export function toCents(amount: string | number | null | undefined): number {
  if (amount === null || amount === undefined) return 0;
  const text = String(amount).trim();
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[1] === "" && !match[2])) return 0;
  const whole = Number(match[1] || "0");
  const fraction = (match[2] ?? "").padEnd(3, "0");
  const cents = whole * 100 + Number(fraction.slice(0, 2));
  return Number(fraction[2]) >= 5 ? cents + 1 : cents;
}

function connectionCause(error: APIConnectionError): string {
  const cause = (error as { cause?: unknown }).cause;
  const nested = cause instanceof Error ? ((cause as { cause?: unknown }).cause ?? cause) : cause;
  if (nested instanceof Error) return (nested as { code?: string }).code ?? nested.message;
  return error.message;
}

/** Telnyx errors: { errors: [{ code, title, detail, source?, meta? }] }. */
function describeErrorBody(body: unknown): string {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return "";
  const parts = errors.slice(0, 3).map((e: { code?: unknown; title?: unknown; detail?: unknown }) => {
    const title = typeof e?.title === "string" ? e.title : "";
    const detail = typeof e?.detail === "string" ? e.detail : "";
    const code = typeof e?.code === "string" || typeof e?.code === "number" ? ` [${e.code}]` : "";
    return `${[title, detail].filter(Boolean).join(": ")}${code}`;
  });
  return ` ${parts.join("; ")}`;
}

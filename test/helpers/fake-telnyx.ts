import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the part of Telnyx API v2 that TelnyxCarrier uses, answering with Telnyx's
 * documented response shapes (developers.telnyx.com API reference, and the telnyx v7 SDK's types):
 *
 *   GET    /v2/available_phone_numbers      filter[country_code|national_destination_code|locality|administrative_area|phone_number_type|limit],
 *                                           filter[phone_number][contains], filter[features]
 *   POST   /v2/number_orders                { phone_numbers: [{ phone_number }], customer_reference, connection_id, messaging_profile_id }
 *   GET    /v2/number_orders                filter[customer_reference], page[number], page[size]
 *   GET    /v2/number_orders/{id}
 *   GET    /v2/phone_numbers                filter[phone_number] (digits, partial match), page[number], page[size]
 *   PATCH  /v2/phone_numbers/{id}           { connection_id, ... }
 *   PATCH  /v2/phone_numbers/{id}/messaging { messaging_profile_id }
 *   PATCH  /v2/phone_numbers/{id}/voice     { cnam_listing: { cnam_listing_enabled, cnam_listing_details },
 *                                            call_forwarding: { call_forwarding_enabled, forwards_to, forwarding_type } }
 *   GET    /v2/phone_numbers/{id}/voice
 *   DELETE /v2/phone_numbers/{id}
 *   POST   /v2/messages                     { from, to, text, media_urls, messaging_profile_id }
 *
 * Every request needs `Authorization: Bearer <apiKey>`. Errors use Telnyx's error envelope
 * { errors: [{ code, title, detail, meta: { url } }] }. State lives in memory; `switches` make it
 * slow or failing. Nothing here reaches the network beyond 127.0.0.1.
 */

export interface FakeAvailableNumber {
  /** E.164. */
  phone_number: string;
  /** ISO alpha-2, default "US". */
  country_code?: string;
  /** Rate center, as Telnyx writes it (capitals), e.g. "SAN FRANCISCO"; filter[locality] matches it case-insensitively. Null for toll-free numbers. */
  rate_center: string | null;
  /** State or province, e.g. "CA"; filter[administrative_area] matches it. Null for toll-free numbers. */
  state: string | null;
  /** Telnyx's number type (filter[phone_number_type]); default "local". */
  phone_number_type?: "local" | "toll_free" | "mobile";
  /** Feature names, e.g. ["voice", "sms", "mms", "emergency"]. */
  features: string[];
  /** Dollars as decimal strings, as Telnyx sends them. */
  monthly_cost: string;
  upfront_cost: string;
}

export interface FakeOrder {
  id: string;
  record_type: "number_order";
  phone_numbers_count: number;
  connection_id: string | null;
  messaging_profile_id: string | null;
  billing_group_id: string | null;
  phone_numbers: Array<{
    id: string;
    record_type: "number_order_phone_number";
    phone_number: string;
    country_code: string;
    phone_number_type: string;
    regulatory_requirements: unknown[];
    requirements_met: boolean;
    status: "pending" | "success" | "failure";
  }>;
  sub_number_orders_ids: string[];
  status: "pending" | "success" | "failure";
  customer_reference: string | null;
  created_at: string;
  updated_at: string;
  requirements_met: boolean;
}

export interface FakePhoneNumber {
  id: string;
  record_type: "phone_number";
  phone_number: string;
  status: string;
  tags: string[];
  external_pin: string | null;
  connection_id: string | null;
  connection_name: string | null;
  customer_reference: string | null;
  messaging_profile_id: string | null;
  messaging_profile_name: string | null;
  billing_group_id: string | null;
  emergency_enabled: boolean;
  emergency_address_id: string | null;
  call_forwarding_enabled: boolean;
  cnam_listing_enabled: boolean;
  caller_id_name_enabled: boolean;
  call_recording_enabled: boolean;
  t38_fax_gateway_enabled: boolean;
  phone_number_type: string;
  country_iso_alpha2: string;
  purchased_at: string;
  created_at: string;
  updated_at: string;
  hd_voice_enabled: boolean;
  deletion_lock_enabled: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. "/v2/number_orders". */
  path: string;
  /** Every query parameter, decoded, in order (repeated keys repeat). */
  query: Array<[string, string]>;
  /** Parsed JSON body, if any. */
  body: unknown;
  authorization: string | undefined;
  /** The Idempotency-Key header, if the request carried one. */
  idempotencyKey: string | undefined;
  /** The status the fake answered (or was about to answer, if the client had gone). */
  status?: number;
}

export interface FakeTelnyxSwitches {
  /** Every answer waits this long. */
  delayMs: number;
  /**
   * "before": the wait comes before the request is handled (a slow carrier);
   * "after": the request is handled (orders placed, numbers deleted) and then the answer waits
   * (a lost answer: the carrier acted, the client may not hear of it).
   */
  delayPhase: "before" | "after";
  /** When set, only requests it accepts are delayed (e.g. only POST /v2/number_orders). */
  delayOnly: ((method: string, path: string) => boolean) | null;
  /** The next N requests fail with `failStatus`, nothing done. */
  failNext: number;
  failStatus: 500 | 503;
  /** Numbers the next orders are refused for with 422 (e.g. sold to someone else meanwhile). */
  unavailable: Set<string>;
  /** The next N orders are refused with 422 whatever the number. */
  rejectNextOrders: number;
  /** The next N POST /v2/messages are refused with 422 (a permanent refusal), nothing sent. */
  rejectNextMessages: number;
  /** New orders stay "pending" until completeOrder(id) (otherwise they succeed at once). */
  completeOrdersLater: boolean;
  /** The most items a list page holds, whatever page[size] asks (Telnyx's own cap is 250). */
  maxPageSize: number;
  /** The next N PATCH /v2/phone_numbers/{id}/voice are refused with 422, nothing changed. */
  rejectNextVoiceUpdates: number;
  /** Addresses POST /v2/addresses refuses with 422 (default: a street containing "REJECT" or postal code 00000). */
  refuseAddress: (address: { street_address?: string | null; postal_code?: string | null }) => boolean;
  /** The emergency_status enable_emergency answers with: "active" (default) or "provisioning". */
  emergencyStatus: "active" | "provisioning" | "provisioning-failed";
}

/** The CNAM and call forwarding parts of a number's voice settings, as the fake keeps them. */
export interface FakeVoiceSettings {
  cnam_listing: { cnam_listing_enabled: boolean; cnam_listing_details: string | null };
  call_forwarding: { call_forwarding_enabled: boolean; forwards_to: string | null; forwarding_type: "always" | "on-failure" | null };
}

export interface FakeTelnyxState {
  /** Available numbers by national destination code (area code). */
  inventory: Map<string, FakeAvailableNumber[]>;
  orders: Map<string, FakeOrder>;
  /** The account's numbers by phone number id. */
  numbers: Map<string, FakePhoneNumber>;
  requests: RecordedRequest[];
  /** Messages sent through POST /v2/messages, in order. */
  messages: Array<Record<string, unknown>>;
  /** CNAM and call forwarding settings by phone number id (absent: never set). */
  voice: Map<string, FakeVoiceSettings>;
  /** Toll-free verification requests created through POST /v2/messaging_tollfree/verification/requests, in order. */
  tollFreeVerifications: Array<Record<string, unknown> & { id: string }>;
  /** Address records (POST /v2/addresses) by id. */
  addresses: Map<string, FakeAddress>;
}

/** An address record as Telnyx returns it (GET/POST /v2/addresses). */
export interface FakeAddress {
  id: string;
  record_type: "address";
  customer_reference: string | null;
  first_name: string | null;
  last_name: string | null;
  business_name: string | null;
  phone_number: string | null;
  street_address: string;
  extended_address: string | null;
  locality: string;
  administrative_area: string | null;
  neighborhood: string | null;
  borough: string | null;
  postal_code: string | null;
  country_code: string;
  address_book: boolean;
  validate_address: boolean;
  created_at: string;
  updated_at: string;
}

export interface FakeTelnyxOptions {
  apiKey?: string;
  /** Replaces the default inventory (a few local numbers in 415, 312, 212 and 416, toll-free ones in 888 and 800). */
  inventory?: FakeAvailableNumber[];
  switches?: Partial<FakeTelnyxSwitches>;
}

export interface FakeTelnyx {
  /** Origin plus "/v2": the SDK's baseURL (TelnyxCarrier accepts it as baseUrl). */
  url: string;
  apiKey: string;
  state: FakeTelnyxState;
  switches: FakeTelnyxSwitches;
  /** Marks a pending order (and its number) successful / active. */
  completeOrder(orderId: string): void;
  /** Marks a pending order failed; its number goes to "purchase-failed". */
  failOrder(orderId: string): void;
  /** Adds a number straight to the account (as if bought elsewhere); returns it. */
  addNumber(e164: string, status?: string): FakePhoneNumber;
  /** Recorded requests matching a method and path. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  close(): Promise<void>;
}

const DEFAULT_INVENTORY: FakeAvailableNumber[] = [
  { phone_number: "+14157340101", rate_center: "SAN FRANCISCO", state: "CA", features: ["voice", "sms", "mms", "emergency"], monthly_cost: "1.00", upfront_cost: "0.35" },
  { phone_number: "+14157340102", rate_center: "SAN FRANCISCO", state: "CA", features: ["voice", "sms"], monthly_cost: "1.00", upfront_cost: "1.00" },
  { phone_number: "+14156210103", rate_center: "OAKLAND", state: "CA", features: ["voice"], monthly_cost: "2.5", upfront_cost: "0" },
  { phone_number: "+13125550104", rate_center: "CHICAGO", state: "IL", features: ["voice", "sms", "mms"], monthly_cost: "1.00", upfront_cost: "1.00" },
  { phone_number: "+12125550105", rate_center: "NEW YORK CITY ZONE 01", state: "NY", features: ["voice", "sms"], monthly_cost: "1.50", upfront_cost: "1.00" },
  { phone_number: "+14163580109", country_code: "CA", rate_center: "TORONTO", state: "ON", features: ["voice", "sms"], monthly_cost: "1.00", upfront_cost: "1.00" },
  // Toll-free: no rate center or state, as Telnyx lists them.
  { phone_number: "+18883569377", rate_center: null, state: null, phone_number_type: "toll_free", features: ["voice", "sms"], monthly_cost: "2.00", upfront_cost: "1.00" },
  { phone_number: "+18002670106", rate_center: null, state: null, phone_number_type: "toll_free", features: ["voice", "sms"], monthly_cost: "2.00", upfront_cost: "1.00" },
];

const ERROR_DOCS = "https://developers.telnyx.com/docs/overview/errors/";

function telnyxError(code: string, title: string, detail: string, pointer?: string) {
  return { errors: [{ code, title, detail, meta: { url: ERROR_DOCS + code }, ...(pointer ? { source: { pointer } } : {}) }] };
}

/** The area code of a NANP E.164 number ("+14155550100" -> "415"). */
function areaCodeOf(e164: string): string {
  return e164.startsWith("+1") ? e164.slice(2, 5) : e164.slice(1, 4);
}

export async function startFakeTelnyx(options: FakeTelnyxOptions = {}): Promise<FakeTelnyx> {
  const apiKey = options.apiKey ?? `KEY_fake_${randomUUID().replace(/-/g, "")}`;
  const switches: FakeTelnyxSwitches = {
    delayMs: 0,
    delayPhase: "before",
    delayOnly: null,
    failNext: 0,
    failStatus: 503,
    unavailable: new Set(),
    rejectNextOrders: 0,
    rejectNextMessages: 0,
    completeOrdersLater: false,
    maxPageSize: 250,
    rejectNextVoiceUpdates: 0,
    refuseAddress: (address) => /REJECT/i.test(address.street_address ?? "") || address.postal_code === "00000",
    emergencyStatus: "active",
    ...options.switches,
  };
  const state: FakeTelnyxState = { inventory: new Map(), orders: new Map(), numbers: new Map(), requests: [], messages: [], voice: new Map(), tollFreeVerifications: [], addresses: new Map() };
  let nextAddressId = 1315261609962112000n;
  for (const number of options.inventory ?? DEFAULT_INVENTORY) {
    const code = areaCodeOf(number.phone_number);
    state.inventory.set(code, [...(state.inventory.get(code) ?? []), { ...number }]);
  }
  // Telnyx phone number ids are int64s written as strings.
  let nextNumberId = 1293384261075731000n;
  const timers = new Set<NodeJS.Timeout>();
  const now = () => new Date().toISOString();

  const newNumber = (e164: string, status: string, order?: FakeOrder): FakePhoneNumber => {
    const id = String(nextNumberId++);
    const created = now();
    const number: FakePhoneNumber = {
      id,
      record_type: "phone_number",
      phone_number: e164,
      status,
      tags: [],
      external_pin: null,
      connection_id: order?.connection_id ?? null,
      connection_name: null,
      customer_reference: order?.customer_reference ?? null,
      messaging_profile_id: order?.messaging_profile_id ?? null,
      messaging_profile_name: null,
      billing_group_id: null,
      emergency_enabled: false,
      emergency_address_id: null,
      call_forwarding_enabled: true,
      cnam_listing_enabled: false,
      caller_id_name_enabled: false,
      call_recording_enabled: false,
      t38_fax_gateway_enabled: false,
      phone_number_type: offeredNumber(e164)?.phone_number_type ?? "local",
      country_iso_alpha2: offeredNumber(e164)?.country_code ?? "US",
      purchased_at: created,
      created_at: created,
      updated_at: created,
      hd_voice_enabled: false,
      deletion_lock_enabled: false,
    };
    state.numbers.set(id, number);
    return number;
  };

  /** The inventory entry of a number (kept after it is sold: its type and country stay known). */
  const offeredNumber = (e164: string) => (state.inventory.get(areaCodeOf(e164)) ?? []).find((n) => n.phone_number === e164);

  const numberOf = (e164: string) => [...state.numbers.values()].find((n) => n.phone_number === e164 && n.status !== "deleted");

  const settleOrder = (orderId: string, outcome: "success" | "failure") => {
    const order = state.orders.get(orderId);
    if (!order) throw new Error(`fake Telnyx: no order ${orderId}`);
    order.status = outcome;
    order.updated_at = now();
    for (const line of order.phone_numbers) {
      line.status = outcome;
      const number = numberOf(line.phone_number);
      if (number) {
        number.status = outcome === "success" ? "active" : "purchase-failed";
        number.updated_at = order.updated_at;
      }
    }
  };

  const page = <T>(items: T[], query: URLSearchParams) => {
    const requested = Number(query.get("page[size]") ?? 20);
    const size = Math.max(1, Math.min(switches.maxPageSize, Number.isFinite(requested) && requested > 0 ? requested : 20));
    const number = Math.max(1, Number(query.get("page[number]") ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(items.length / size));
    return {
      data: items.slice((number - 1) * size, number * size),
      meta: { page_number: number, page_size: size, total_pages: totalPages, total_results: items.length },
    };
  };

  /** The whole query as Telnyx reads it: filter[features] as comma list, repeated or "[]" keys. */
  const featuresOf = (query: URLSearchParams): string[] => [
    ...query.getAll("filter[features]").flatMap((v) => v.split(",")),
    ...query.getAll("filter[features][]"),
  ].map((f) => f.trim()).filter(Boolean);

  type Answer = { status: number; body?: unknown };

  /** A number's voice settings as Telnyx answers them (record_type "voice_settings"), from PATCH/GET .../voice and enable_emergency. */
  const voiceSettingsRecord = (number: FakePhoneNumber) => {
    const voice = state.voice.get(number.id);
    return {
      id: number.id,
      record_type: "voice_settings",
      phone_number: number.phone_number,
      connection_id: number.connection_id,
      customer_reference: number.customer_reference,
      tech_prefix_enabled: false,
      translated_number: null,
      usage_payment_method: "pay-per-minute",
      inbound_call_screening: "disabled",
      call_forwarding: voice?.call_forwarding ?? { call_forwarding_enabled: false, forwards_to: null, forwarding_type: null },
      cnam_listing: voice?.cnam_listing ?? { cnam_listing_enabled: false, cnam_listing_details: null },
      call_recording: { inbound_call_recording_enabled: false, inbound_call_recording_format: "wav", inbound_call_recording_channels: "single" },
      media_features: { rtp_auto_adjust_enabled: true, accept_any_rtp_packets_enabled: false, t38_fax_gateway_enabled: false },
      emergency: {
        emergency_enabled: number.emergency_enabled,
        emergency_address_id: number.emergency_address_id,
        emergency_status: number.emergency_enabled ? switches.emergencyStatus : "disabled",
      },
    };
  };

  /**
   * PATCH/GET /v2/phone_numbers/{id}/voice, for the parts Switchboard sets: cnam_listing and
   * call_forwarding are merged into what the number has (other keys are accepted and ignored), and
   * checked as Telnyx documents them: CNAM details "alphanumeric characters or spaces with a maximum
   * length of 15", required to enable the listing; forwards_to "+E.164"; forwarding_type "always" or
   * "on-failure". The answer is a phone number with voice settings (record_type "voice_settings").
   */
  const voiceSettings = (method: string, id: string, body: unknown): Answer => {
    const number = state.numbers.get(id);
    if (!number || number.status === "deleted") {
      return { status: 404, body: telnyxError("10005", "Resource not found", "The requested resource or URL could not be found.") };
    }
    const current: FakeVoiceSettings = state.voice.get(id) ?? {
      cnam_listing: { cnam_listing_enabled: false, cnam_listing_details: null },
      call_forwarding: { call_forwarding_enabled: false, forwards_to: null, forwarding_type: null },
    };
    if (method === "PATCH") {
      // The codes below are illustrative: Telnyx's catalogue was not checked for these exact cases.
      if (switches.rejectNextVoiceUpdates > 0) {
        switches.rejectNextVoiceUpdates--;
        return { status: 422, body: telnyxError("10015", "Invalid value", "The voice settings of this number cannot be changed now.") };
      }
      const update = (body ?? {}) as { cnam_listing?: Partial<FakeVoiceSettings["cnam_listing"]>; call_forwarding?: Partial<FakeVoiceSettings["call_forwarding"]> };
      const cnam = { ...current.cnam_listing, ...update.cnam_listing };
      const forwarding = { ...current.call_forwarding, ...update.call_forwarding };
      if (update.cnam_listing && cnam.cnam_listing_enabled) {
        if (!cnam.cnam_listing_details) {
          return { status: 422, body: telnyxError("10004", "Missing required parameter", "cnam_listing_details is required when cnam_listing_enabled is true.", "/cnam_listing/cnam_listing_details") };
        }
        if (!/^[A-Za-z0-9 ]{1,15}$/.test(cnam.cnam_listing_details)) {
          return {
            status: 422,
            body: telnyxError("10015", "Invalid value", "cnam_listing_details must be alphanumeric characters or spaces with a maximum length of 15.", "/cnam_listing/cnam_listing_details"),
          };
        }
      }
      if (update.call_forwarding) {
        if (forwarding.forwarding_type !== null && forwarding.forwarding_type !== "always" && forwarding.forwarding_type !== "on-failure") {
          return { status: 422, body: telnyxError("10015", "Invalid value", "forwarding_type must be one of: always, on-failure.", "/call_forwarding/forwarding_type") };
        }
        if (forwarding.call_forwarding_enabled !== false && forwarding.forwards_to && !/^\+[1-9]\d{6,14}$/.test(forwarding.forwards_to)) {
          return { status: 422, body: telnyxError("10015", "Invalid value", "forwards_to must be a +E.164-formatted phone number.", "/call_forwarding/forwards_to") };
        }
      }
      current.cnam_listing = cnam;
      current.call_forwarding = forwarding;
      state.voice.set(id, current);
      number.cnam_listing_enabled = cnam.cnam_listing_enabled;
      number.call_forwarding_enabled = forwarding.call_forwarding_enabled;
      number.updated_at = now();
    }
    return { status: 200, body: { data: voiceSettingsRecord(number) } };
  };

  const route = (method: string, path: string, query: URLSearchParams, body: unknown): Answer => {
    const notFound = (): Answer => ({ status: 404, body: telnyxError("10005", "Resource not found", "The requested resource or URL could not be found.") });

    if (method === "GET" && path === "/v2/available_phone_numbers") {
      const country = query.get("filter[country_code]");
      const ndc = query.get("filter[national_destination_code]");
      const contains = query.get("filter[phone_number][contains]");
      const locality = query.get("filter[locality]")?.toLowerCase();
      const administrativeArea = query.get("filter[administrative_area]")?.toUpperCase();
      const type = query.get("filter[phone_number_type]");
      const features = featuresOf(query);
      const limit = Number(query.get("filter[limit]") ?? 50);
      const sold = new Set([...state.numbers.values()].filter((n) => n.status !== "deleted").map((n) => n.phone_number));
      const pool = ndc ? (state.inventory.get(ndc) ?? []) : [...state.inventory.values()].flat();
      const matches = pool
        .filter((n) => !sold.has(n.phone_number))
        .filter((n) => !country || (n.country_code ?? "US") === country)
        // Telnyx: "contains" excludes the NDC when used with national_destination_code.
        .filter((n) => !contains || (ndc ? n.phone_number.slice(2 + ndc.length) : n.phone_number.slice(1)).includes(contains))
        .filter((n) => !type || (n.phone_number_type ?? "local") === type)
        .filter((n) => !locality || n.rate_center?.toLowerCase() === locality)
        .filter((n) => !administrativeArea || n.state === administrativeArea)
        .filter((n) => features.every((f) => n.features.includes(f)))
        .slice(0, Number.isFinite(limit) && limit > 0 ? limit : 50);
      return {
        status: 200,
        body: {
          data: matches.map((n) => ({
            record_type: "available_phone_number",
            phone_number: n.phone_number,
            vanity_format: "",
            best_effort: false,
            quickship: true,
            reservable: true,
            region_information: [
              { region_type: "country_code", region_name: n.country_code ?? "US" },
              ...(n.rate_center ? [{ region_type: "rate_center", region_name: n.rate_center }] : []),
              ...(n.state ? [{ region_type: "state", region_name: n.state }] : []),
            ],
            cost_information: { upfront_cost: n.upfront_cost, monthly_cost: n.monthly_cost, currency: "USD" },
            features: n.features.map((name) => ({ name })),
          })),
          meta: { total_results: matches.length, best_effort_results: 0 },
        },
      };
    }

    if (method === "POST" && path === "/v2/number_orders") {
      const request = (body ?? {}) as {
        phone_numbers?: Array<{ phone_number?: string }>;
        customer_reference?: string;
        connection_id?: string;
        messaging_profile_id?: string;
      };
      const wanted = (request.phone_numbers ?? []).map((p) => p.phone_number).filter((p): p is string => typeof p === "string");
      if (wanted.length === 0) {
        return { status: 422, body: telnyxError("10004", "Missing required parameter", "phone_numbers must list at least one number.", "/phone_numbers") };
      }
      for (const e164 of wanted) {
        const offered = offeredNumber(e164) !== undefined;
        const refused = switches.rejectNextOrders > 0 || switches.unavailable.has(e164);
        if (!offered || refused || numberOf(e164)) {
          if (switches.rejectNextOrders > 0) switches.rejectNextOrders--;
          // The code is illustrative: Telnyx's catalogue was not checked for this exact case.
          return {
            status: 422,
            body: telnyxError("85001", "Number not available", `The phone number ${e164} is no longer available for ordering.`, "/phone_numbers/0/phone_number"),
          };
        }
      }
      const created = now();
      const status = switches.completeOrdersLater ? "pending" : "success";
      const order: FakeOrder = {
        id: randomUUID(),
        record_type: "number_order",
        phone_numbers_count: wanted.length,
        connection_id: request.connection_id ?? null,
        messaging_profile_id: request.messaging_profile_id ?? null,
        billing_group_id: null,
        phone_numbers: wanted.map((e164) => ({
          id: randomUUID(),
          record_type: "number_order_phone_number",
          phone_number: e164,
          country_code: offeredNumber(e164)?.country_code ?? "US",
          phone_number_type: offeredNumber(e164)?.phone_number_type ?? "local",
          regulatory_requirements: [],
          requirements_met: true,
          status,
        })),
        sub_number_orders_ids: [randomUUID()],
        status,
        customer_reference: request.customer_reference ?? null,
        created_at: created,
        updated_at: created,
        requirements_met: true,
      };
      state.orders.set(order.id, order);
      for (const e164 of wanted) newNumber(e164, status === "success" ? "active" : "purchase-pending", order);
      return { status: 200, body: { data: order } };
    }

    if (method === "GET" && path === "/v2/number_orders") {
      const reference = query.get("filter[customer_reference]");
      const orders = [...state.orders.values()].filter((o) => reference === null || o.customer_reference === reference);
      return { status: 200, body: page(orders, query) };
    }

    const orderMatch = /^\/v2\/number_orders\/([^/]+)$/.exec(path);
    if (method === "GET" && orderMatch) {
      const order = state.orders.get(decodeURIComponent(orderMatch[1]!));
      return order ? { status: 200, body: { data: order } } : notFound();
    }

    if (method === "GET" && path === "/v2/phone_numbers") {
      const filter = query.get("filter[phone_number]");
      // Documented: at least three digits; non-numerical characters give no values. Numbers added
      // with status "deleted" stay listed (as Telnyx can list them); DELETE removes them outright.
      const numbers = [...state.numbers.values()]
        .filter((n) => filter === null || (/^\d+$/.test(filter) && n.phone_number.slice(1).includes(filter)));
      return { status: 200, body: page(numbers, query) };
    }

    if (method === "GET" && path === "/v2/addresses") {
      // filter[customer_reference][eq] is an exact match; filter[customer_reference] (or [contains]) a case-insensitive substring.
      const exact = query.get("filter[customer_reference][eq]");
      const contains = query.get("filter[customer_reference][contains]") ?? query.get("filter[customer_reference]");
      const addresses = [...state.addresses.values()].filter(
        (a) => (exact === null || a.customer_reference === exact) && (contains === null || (a.customer_reference ?? "").toLowerCase().includes(contains.toLowerCase())),
      );
      return { status: 200, body: page(addresses, query) };
    }

    if (method === "POST" && path === "/v2/addresses") {
      const request = (body ?? {}) as Partial<FakeAddress>;
      const missing = [
        !request.business_name && !(request.first_name && request.last_name) ? "/business_name" : null,
        !request.street_address ? "/street_address" : null,
        !request.locality ? "/locality" : null,
        !request.country_code ? "/country_code" : null,
      ].filter((pointer): pointer is string => pointer !== null);
      if (missing.length) {
        return { status: 422, body: { errors: missing.map((pointer) => telnyxError("10004", "Missing required parameter", `${pointer.slice(1)} is required.`, pointer).errors[0]) } };
      }
      if (switches.refuseAddress(request)) {
        // Telnyx's answer when emergency validation of a new address fails (the code is illustrative).
        return { status: 422, body: telnyxError("10015", "Invalid address", "The address could not be validated for emergency services.", "/street_address") };
      }
      const created = now();
      const address: FakeAddress = {
        id: String(nextAddressId++),
        record_type: "address",
        customer_reference: request.customer_reference ?? null,
        first_name: request.first_name ?? null,
        last_name: request.last_name ?? null,
        business_name: request.business_name ?? null,
        phone_number: request.phone_number ?? null,
        street_address: request.street_address!,
        extended_address: request.extended_address ?? null,
        locality: request.locality!,
        administrative_area: request.administrative_area ?? null,
        neighborhood: null,
        borough: null,
        postal_code: request.postal_code ?? null,
        country_code: request.country_code!,
        address_book: request.address_book ?? true,
        validate_address: request.validate_address ?? true,
        created_at: created,
        updated_at: created,
      };
      state.addresses.set(address.id, address);
      return { status: 200, body: { data: address } };
    }

    const emergencyMatch = /^\/v2\/phone_numbers\/([^/]+)\/actions\/enable_emergency$/.exec(path);
    if (method === "POST" && emergencyMatch) {
      const number = state.numbers.get(decodeURIComponent(emergencyMatch[1]!));
      if (!number || number.status === "deleted") return notFound();
      const request = (body ?? {}) as { emergency_enabled?: boolean; emergency_address_id?: string };
      if (typeof request.emergency_enabled !== "boolean") {
        return { status: 422, body: telnyxError("10004", "Missing required parameter", "emergency_enabled is required.", "/emergency_enabled") };
      }
      if (request.emergency_enabled && !state.addresses.has(request.emergency_address_id ?? "")) {
        return { status: 422, body: telnyxError("10015", "Bad Request", "The field is invalid.", "/emergency_address_id") };
      }
      number.emergency_enabled = request.emergency_enabled;
      number.emergency_address_id = request.emergency_enabled ? request.emergency_address_id! : null;
      number.updated_at = now();
      return { status: 200, body: { data: voiceSettingsRecord(number) } };
    }

    const messagingMatch = /^\/v2\/phone_numbers\/([^/]+)\/messaging$/.exec(path);
    if (method === "PATCH" && messagingMatch) {
      const number = state.numbers.get(decodeURIComponent(messagingMatch[1]!));
      if (!number || number.status === "deleted") return notFound();
      const update = (body ?? {}) as { messaging_profile_id?: string | null };
      if (update.messaging_profile_id !== undefined) number.messaging_profile_id = update.messaging_profile_id || null;
      number.updated_at = now();
      return {
        status: 200,
        body: {
          data: {
            record_type: "messaging_settings",
            id: number.id,
            phone_number: number.phone_number,
            messaging_profile_id: number.messaging_profile_id,
            messaging_product: "P2P",
            country_code: number.country_iso_alpha2,
            type: "long-code",
            eligible_messaging_products: ["A2P", "P2P"],
            traffic_type: "P2P",
            features: { sms: null, mms: null },
            created_at: number.created_at,
            updated_at: number.updated_at,
          },
        },
      };
    }

    const voiceMatch = /^\/v2\/phone_numbers\/([^/]+)\/voice$/.exec(path);
    if (voiceMatch && (method === "PATCH" || method === "GET")) return voiceSettings(method, decodeURIComponent(voiceMatch[1]!), body);

    const numberMatch = /^\/v2\/phone_numbers\/([^/]+)$/.exec(path);
    if (numberMatch && (method === "PATCH" || method === "DELETE" || method === "GET")) {
      const number = state.numbers.get(decodeURIComponent(numberMatch[1]!));
      if (!number || number.status === "deleted") return notFound();
      if (method === "PATCH") {
        const update = (body ?? {}) as Partial<Pick<FakePhoneNumber, "connection_id" | "customer_reference" | "tags" | "billing_group_id">>;
        if (update.connection_id !== undefined) number.connection_id = update.connection_id;
        if (update.customer_reference !== undefined) number.customer_reference = update.customer_reference;
        if (update.tags !== undefined) number.tags = update.tags;
        if (update.billing_group_id !== undefined) number.billing_group_id = update.billing_group_id;
        number.updated_at = now();
      }
      if (method === "DELETE") {
        state.numbers.delete(number.id);
        return { status: 200, body: { data: { ...number, status: "deleted", updated_at: now() } } };
      }
      return { status: 200, body: { data: number } };
    }

    if (method === "POST" && path === "/v2/messages") {
      const request = (body ?? {}) as { from?: string; to?: string; text?: string; media_urls?: string[]; messaging_profile_id?: string };
      if (!request.to || (!request.text && !request.media_urls?.length)) {
        return { status: 422, body: telnyxError("10004", "Missing required parameter", "to and text or media_urls are required.", "/to") };
      }
      if (switches.rejectNextMessages > 0) {
        switches.rejectNextMessages--;
        // The code is illustrative: Telnyx's catalogue was not checked for this exact case.
        return { status: 422, body: telnyxError("40310", "Invalid 'to' address", `The destination ${request.to} cannot receive messages.`, "/to") };
      }
      const message = {
        record_type: "message",
        id: randomUUID(),
        direction: "outbound",
        type: request.media_urls?.length ? "MMS" : "SMS",
        from: { phone_number: request.from, carrier: "Telnyx", line_type: "Wireless" },
        to: [{ phone_number: request.to, status: "queued", carrier: "T-Mobile USA", line_type: "Wireless" }],
        text: request.text ?? "",
        media: (request.media_urls ?? []).map((url) => ({ url, content_type: null, sha256: null, size: null })),
        messaging_profile_id: request.messaging_profile_id ?? null,
        parts: 1,
        encoding: "GSM-7",
        errors: [],
        received_at: new Date().toISOString(),
        sent_at: null,
        completed_at: null,
      };
      state.messages.push(message);
      return { status: 200, body: { data: message } };
    }

    // Toll-free verification: the API answers with the request itself (no `data` envelope) and lists
    // with { records, total_records }, paged by page / page_size.
    if (method === "POST" && path === "/v2/messaging_tollfree/verification/requests") {
      const request = (body ?? {}) as Record<string, unknown>;
      const required = ["businessName", "corporateWebsite", "businessAddr1", "businessCity", "businessState", "businessZip", "businessContactFirstName", "businessContactLastName",
        "businessContactEmail", "businessContactPhone", "messageVolume", "phoneNumbers", "useCase", "useCaseSummary", "productionMessageContent", "optInWorkflow", "optInWorkflowImageURLs", "additionalInformation"];
      const missing = required.find((field) => request[field] === undefined || request[field] === "");
      if (missing) return { status: 422, body: telnyxError("10004", "Missing required parameter", `${missing} is required.`, `/${missing}`) };
      const created = { ...request, id: randomUUID(), verificationRequestId: randomUUID(), verificationStatus: "In Progress", createdAt: now(), updatedAt: now() };
      state.tollFreeVerifications.push(created);
      return { status: 200, body: created };
    }
    if (method === "GET" && path === "/v2/messaging_tollfree/verification/requests") {
      const phoneNumber = query.get("phone_number");
      const size = Math.max(1, Math.min(Number(query.get("page_size") ?? 10) || 10, switches.maxPageSize));
      const pageNumber = Math.max(1, Number(query.get("page") ?? 1) || 1);
      const matches = state.tollFreeVerifications.filter((r) => !phoneNumber || (r.phoneNumbers as Array<{ phoneNumber: string }>).some((n) => n.phoneNumber === phoneNumber));
      return { status: 200, body: { records: matches.slice((pageNumber - 1) * size, pageNumber * size), total_records: matches.length } };
    }

    return notFound();
  };

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const send = (res: ServerResponse, record: RecordedRequest, answer: Answer) => {
    record.status = answer.status;
    if (res.destroyed || res.writableEnded) return;
    const payload = answer.body === undefined ? "" : JSON.stringify(answer.body);
    res.writeHead(answer.status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake.telnyx");
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: [...url.searchParams.entries()],
      body,
      authorization: req.headers.authorization,
      idempotencyKey: typeof req.headers["idempotency-key"] === "string" ? req.headers["idempotency-key"] : undefined,
    };
    state.requests.push(record);

    const delayMs = !switches.delayOnly || switches.delayOnly(record.method, record.path) ? switches.delayMs : 0;
    if (delayMs > 0 && switches.delayPhase === "before") await wait(delayMs);
    let answer: Answer;
    if (switches.failNext > 0) {
      switches.failNext--;
      answer =
        switches.failStatus === 503
          ? { status: 503, body: telnyxError("10007", "Service unavailable", "The service is temporarily unavailable. Please try again later.") }
          : { status: 500, body: telnyxError("10007", "Unexpected error", "An unexpected error occured.") };
    } else if (record.authorization !== `Bearer ${apiKey}`) {
      answer = {
        status: 401,
        body: telnyxError("10009", "Authentication failed", "The required authentication headers were either invalid or not included in the request."),
      };
    } else if (typeof body === "string") {
      answer = { status: 400, body: telnyxError("10023", "Invalid JSON", "The supplied JSON body could not be parsed.") };
    } else {
      answer = route(record.method, record.path, url.searchParams, body);
    }
    if (delayMs > 0 && switches.delayPhase === "after") await wait(delayMs);
    send(res, record, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify(telnyxError("10007", "Unexpected error", String(error))));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v2`,
    apiKey,
    state,
    switches,
    completeOrder: (orderId) => settleOrder(orderId, "success"),
    failOrder: (orderId) => settleOrder(orderId, "failure"),
    addNumber: (e164, status = "active") => newNumber(e164, status),
    requestsTo: (method, path) =>
      state.requests.filter((r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path))),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

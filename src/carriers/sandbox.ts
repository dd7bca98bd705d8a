import { createHash, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { parseE164 } from "../domain/e164.ts";
import { CarrierFailure, type AvailableNumber, type CarrierAdapter, type CarrierNumber, type CarrierOrder, type OutboundMessageRequest, type SearchCriteria, type SentMessage } from "./adapter.ts";

/**
 * Switches tests flip to make the sandbox misbehave like a real carrier. Counters apply to the
 * next N calls of any kind (or of placeOrder where named so).
 */
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
  /** Kills the process right after the next order is committed (crash-safety tests in a child process). */
  crashAfterOrder: boolean;
  /** Kills the process right after the next message is accepted, before Switchboard hears of it. */
  crashAfterSend: boolean;
  /** The next N sends are accepted (and remembered by reference), then the answer is lost (TIMEOUT). */
  timeoutAfterSendNext: number;
}

/** A message the sandbox accepted; `requests` counts the sends that named its reference. */
export interface SandboxMessage extends OutboundMessageRequest {
  carrierMessageId: string;
  requests: number;
}

interface SandboxState {
  orders: Record<string, CarrierOrder>;
  numbers: Record<string, CarrierNumber>;
  /** Accepted messages by our reference: one per reference, whatever the number of requests. */
  messages: Record<string, SandboxMessage>;
}

/** Area codes whose inventory is always empty, to exercise fallback and shortage handling. */
export const SANDBOX_SOLD_OUT_AREA_CODES = ["212", "917"];
/** Area codes the sandbox stocks per country (NANP); other area codes of these countries are empty. */
const STOCKED: Record<string, string[]> = {
  US: ["201", "202", "206", "213", "303", "305", "312", "404", "415", "512", "617", "646", "702", "713", "818"],
  CA: ["416", "604", "514"],
};
const PER_AREA_CODE = 40;

function inventory(country: string, areaCode: string): AvailableNumber[] {
  if (!STOCKED[country]?.includes(areaCode)) return [];
  // Deterministic: the same area code always offers the same numbers, in the same order.
  const seed = createHash("sha256").update(`${country}:${areaCode}`).digest();
  const numbers: AvailableNumber[] = [];
  for (let i = 0; numbers.length < PER_AREA_CODE && i < 400; i++) {
    const exchange = 200 + ((seed.readUInt16BE(i % 30) + i * 37) % 800);
    const line = (seed.readUInt16BE((i + 7) % 30) * 7 + i * 131) % 10000;
    const parsed = parseE164(`+1${areaCode}${exchange}${String(line).padStart(4, "0")}`);
    if (!parsed.ok || parsed.country !== country || numbers.some((n) => n.e164 === parsed.e164)) continue;
    const features: AvailableNumber["features"] = i % 5 === 4 ? ["voice"] : ["voice", "sms", "mms"];
    numbers.push({
      e164: parsed.e164,
      friendlyName: `(${areaCode}) ${String(exchange)}-${String(line).padStart(4, "0")}`,
      locality: `Sandbox ${areaCode}`,
      region: country === "US" ? "CA" : "ON",
      country,
      features,
      monthlyCostCents: 100,
      upfrontCostCents: 100,
    });
  }
  return numbers;
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
    crashAfterOrder: false,
    crashAfterSend: false,
    timeoutAfterSendNext: 0,
  };
  readonly sendsDedupedByReference = true;
  /** Calls made, by method, for tests that check nothing reached the carrier. */
  readonly calls: Record<string, number> = {};
  #state: SandboxState = { orders: {}, numbers: {}, messages: {} };

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

  async searchAvailable(criteria: SearchCriteria): Promise<AvailableNumber[]> {
    await this.#enter("searchAvailable");
    const areaCodes = criteria.areaCode ? [criteria.areaCode] : (STOCKED[criteria.country] ?? []);
    const sold = new Set(Object.values(this.#state.numbers).map((n) => n.e164));
    return areaCodes
      .flatMap((areaCode) => inventory(criteria.country, areaCode))
      .filter((n) => !sold.has(n.e164) && !this.faults.refuse.has(n.e164))
      .filter((n) => !criteria.contains || n.e164.slice(1).includes(criteria.contains))
      .filter((n) => !criteria.features?.some((f) => !n.features.includes(f)))
      .slice(0, criteria.limit);
  }

  async placeOrder(request: { e164: string; reference: string }): Promise<CarrierOrder> {
    await this.#enter("placeOrder");
    const existing = Object.values(this.#state.orders).find((o) => o.reference === request.reference);
    if (existing) return { ...existing };
    const parsed = parseE164(request.e164);
    const offered = parsed.ok && inventory(parsed.country, request.e164.slice(2, 5)).some((n) => n.e164 === request.e164);
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
    if (this.faults.crashAfterOrder) process.kill(process.pid, "SIGKILL");
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
    const carrierMessageId = `sbx_msg_${randomUUID()}`;
    this.#state.messages[request.reference] = { ...request, carrierMessageId, requests: 1 };
    this.sent.push({ ...request, carrierMessageId });
    this.#save();
    if (this.faults.crashAfterSend) process.kill(process.pid, "SIGKILL");
    if (this.faults.timeoutAfterSendNext > 0) {
      this.faults.timeoutAfterSendNext--;
      throw new CarrierFailure("TIMEOUT", "the carrier did not answer in time", this.name);
    }
    return { carrierMessageId, status: "QUEUED" };
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

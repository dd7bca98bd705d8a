import type { PrismaClient } from "../db/client.ts";
import type { Agent, Event, Message, PhoneNumber, TollFreeVerification, Verification } from "../generated/prisma/client.ts";

export interface DeliveredSetupStatusChange {
  event: Event;
  phoneNumber: PhoneNumber & { agent: Agent | null };
}

export interface DeliveredVerificationStatusChange {
  event: Event;
  verification: Verification;
}

export interface DeliveredTollFreeVerificationStatusChange {
  event: Event;
  tollFreeVerification: TollFreeVerification;
}

const KEEP_MS = 30_000;

/**
 * One event reaches every subscriber of its organization on this instance. Subscribers re-read
 * what they deliver (ids cross the bus, not rows), but they share that read: the first subscriber
 * to resolve an event loads it and its number, the rest reuse the promise for a short while.
 * Events are immutable; the number is read once, at delivery.
 */
export class EventDeliveryCache {
  readonly #entries = new Map<string, Promise<unknown>>();

  constructor(private readonly prisma: PrismaClient) {}

  setupStatusChange(eventId: string, organizationId: string): Promise<DeliveredSetupStatusChange | undefined> {
    return this.#shared(`${organizationId}:${eventId}`, () => this.#load(eventId, organizationId));
  }

  verificationStatusChange(eventId: string, organizationId: string): Promise<DeliveredVerificationStatusChange | undefined> {
    return this.#shared(`${organizationId}:${eventId}`, async () => {
      const event = await this.prisma.event.findFirst({ where: { id: eventId, organizationId, type: "VERIFICATION_STATUS_CHANGED" } });
      const verificationId = (event?.payload as { verificationId?: string } | undefined)?.verificationId;
      if (!event || !verificationId) return undefined;
      const verification = await this.prisma.verification.findFirst({ where: { id: verificationId, organizationId } });
      return verification ? { event, verification } : undefined;
    });
  }

  tollFreeVerificationStatusChange(eventId: string, organizationId: string): Promise<DeliveredTollFreeVerificationStatusChange | undefined> {
    return this.#shared(`${organizationId}:${eventId}`, async () => {
      const event = await this.prisma.event.findFirst({ where: { id: eventId, organizationId, type: "TOLL_FREE_VERIFICATION_STATUS_CHANGED" } });
      const id = (event?.payload as { tollFreeVerificationId?: string } | undefined)?.tollFreeVerificationId;
      if (!event || !id) return undefined;
      const tollFreeVerification = await this.prisma.tollFreeVerification.findFirst({ where: { id, organizationId } });
      return tollFreeVerification ? { event, tollFreeVerification } : undefined;
    });
  }

  message(messageId: string, organizationId: string): Promise<Message | undefined> {
    return this.#shared(`${organizationId}:message:${messageId}`, async () =>
      (await this.prisma.message.findFirst({ where: { id: messageId, organizationId } })) ?? undefined,
    );
  }

  #shared<T>(key: string, load: () => Promise<T>): Promise<T> {
    let entry = this.#entries.get(key) as Promise<T> | undefined;
    if (!entry) {
      entry = load();
      this.#entries.set(key, entry);
      setTimeout(() => this.#entries.delete(key), KEEP_MS).unref();
      entry.catch(() => this.#entries.delete(key));
    }
    return entry;
  }

  async #load(eventId: string, organizationId: string): Promise<DeliveredSetupStatusChange | undefined> {
    const event = await this.prisma.event.findFirst({ where: { id: eventId, organizationId } });
    if (!event?.phoneNumberId) return undefined;
    const phoneNumber = await this.prisma.phoneNumber.findFirst({
      where: { id: event.phoneNumberId, organizationId },
      include: { agent: true },
    });
    return phoneNumber ? { event, phoneNumber } : undefined;
  }
}

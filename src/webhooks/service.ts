import { z } from "zod";
import { uuidOf } from "../domain/global-id.ts";
import type { Caller } from "../auth/caller.ts";
import type { Clock } from "../billing/periods.ts";
import type { CustomerWebhookSettings } from "../config.ts";
import type { PrismaClient } from "../db/client.ts";
import { NotFoundError } from "../domain/errors.ts";
import type { SecretBox } from "../domain/secret-box.ts";
import { globalId, issueCode, parseInput } from "../domain/validation.ts";
import { EventType, type WebhookDelivery, type WebhookEndpoint } from "../generated/prisma/client.ts";
import { generateWebhookSecret } from "./http-post.ts";
import { checkTarget, systemResolver, UnsafeWebhookTarget, urlProblem, type Resolver } from "./url-guard.ts";

/**
 * Event type names an endpoint subscribes to, checked against the EventType enum as it is now (new
 * types become subscribable without a change here).
 */
const eventTypes = z
  .array(
    z.string().refine((name) => (Object.values(EventType) as string[]).includes(name), {
      message: `Not an event type (known: ${Object.values(EventType).join(", ")})`,
      params: issueCode("INVALID_VALUE"),
    }),
  )
  .min(1, "At least one event type")
  .max(50, "At most 50 event types")
  .transform((names) => [...new Set(names)] as EventType[]);
const url = z.string().trim().max(2048, "At most 2048 characters").superRefine((value, ctx) => {
  const problem = urlProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem, params: issueCode("INVALID_FORMAT") });
});
const description = z.string().trim().max(500, "At most 500 characters");

export const CreateWebhookEndpointInput = z.object({
  url,
  eventTypes,
  description: description.nullish(),
  enabled: z.boolean().nullish(),
});
export const UpdateWebhookEndpointInput = z.object({
  id: globalId("WebhookEndpoint"),
  url: url.nullish(),
  eventTypes: eventTypes.nullish(),
  description: description.nullish(),
  enabled: z.boolean().nullish(),
});
export const WebhookEndpointTargetInput = z.object({ id: globalId("WebhookEndpoint") });
/** An event's id as the webhook body gives it (its row id) or as Query.events gives it (the Event node's global id). */
const eventId = z
  .string()
  .transform((value) => uuidOf(value, "Event") ?? value)
  .pipe(z.guid("Must be an event id (the webhook body's id, or an Event node id from Query.events)"));

export const RedeliverEventInput = z.object({ endpointId: globalId("WebhookEndpoint"), eventId });

/** Customers' webhook endpoints: registering, changing, rotating secrets, asking for a redelivery. */
export class WebhookEndpoints {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly secrets: SecretBox,
    private readonly settings: CustomerWebhookSettings,
    private readonly clock: Clock,
    private readonly resolve: Resolver = systemResolver,
    /** Called when deliveries may be due now (a redelivery, an endpoint enabled again). */
    private readonly onDue: () => void = () => {},
  ) {}

  /** A new endpoint and its signing secret, shown this once. */
  async create(caller: Caller, input: z.input<typeof CreateWebhookEndpointInput>): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const data = parseInput(CreateWebhookEndpointInput, input, await this.#urlErrors(input.url));
    const secret = generateWebhookSecret();
    const endpoint = await this.prisma.webhookEndpoint.create({
      data: {
        organizationId: caller.organizationId,
        url: data.url,
        eventTypes: data.eventTypes,
        description: data.description ?? "",
        enabled: data.enabled ?? true,
        secret: this.secrets.encrypt(secret),
      },
    });
    return { endpoint, secret };
  }

  /** Changes what is given. Enabling a disabled endpoint clears why it was disabled and resumes its waiting deliveries. */
  async update(caller: Caller, input: z.input<typeof UpdateWebhookEndpointInput>): Promise<WebhookEndpoint> {
    const data = parseInput(UpdateWebhookEndpointInput, input, input.url == null ? [] : await this.#urlErrors(input.url));
    const existing = await this.#find(caller, data.id, input.id);
    const enabling = data.enabled === true && !existing.enabled;
    // Events are compared with enabledAt in the time they were recorded in (the real clock); the
    // adjustable clock schedules retries only.
    const now = this.clock.now();
    const endpoint = await this.prisma.$transaction(async (tx) => {
      if (enabling) {
        // The waiting deliveries start their retry window over, at once.
        await tx.webhookDelivery.updateMany({ where: { endpointId: existing.id, status: "PENDING", leasedUntil: null }, data: { nextAttemptAt: now, firstFailedAt: null } });
      }
      return tx.webhookEndpoint.update({
        where: { id: existing.id },
        data: {
          ...(data.url != null ? { url: data.url } : {}),
          ...(data.eventTypes != null ? { eventTypes: data.eventTypes } : {}),
          ...(data.description != null ? { description: data.description } : {}),
          ...(data.enabled != null ? { enabled: data.enabled } : {}),
          ...(enabling ? { enabledAt: new Date(), disabledAt: null, disabledReason: null, failingSince: null } : {}),
          ...(data.enabled === false && existing.enabled ? { disabledAt: now, disabledReason: "Disabled by its owner" } : {}),
        },
      });
    });
    if (enabling) this.onDue();
    return endpoint;
  }

  /** Deletes the endpoint and its deliveries (the events stay). */
  async delete(caller: Caller, input: z.input<typeof WebhookEndpointTargetInput>): Promise<{ endpointId: string }> {
    const { id } = parseInput(WebhookEndpointTargetInput, input);
    const deleted = await this.prisma.webhookEndpoint.deleteMany({ where: { id, organizationId: caller.organizationId } });
    if (deleted.count === 0) throw new NotFoundError("WebhookEndpoint", input.id);
    return { endpointId: id };
  }

  /**
   * A new signing secret, shown this once. The one it replaces keeps signing (a second signature
   * in webhook-signature) for WEBHOOK_SECRET_OVERLAP_HOURS, so receivers can switch without losing
   * deliveries; a rotation during an overlap ends the older one's at once.
   */
  async rotateSecret(caller: Caller, input: z.input<typeof WebhookEndpointTargetInput>): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const { id } = parseInput(WebhookEndpointTargetInput, input);
    const existing = await this.#find(caller, id, input.id);
    const secret = generateWebhookSecret();
    const until = new Date(this.clock.now().getTime() + this.settings.secretOverlapMs);
    const rotated = await this.prisma.webhookEndpoint.updateMany({
      // Guarded on the secret read: of two concurrent rotations, one wins and the other is told the endpoint changed.
      where: { id, secret: existing.secret },
      data: { secret: this.secrets.encrypt(secret), previousSecret: this.settings.secretOverlapMs > 0 ? existing.secret : null, previousSecretUntil: this.settings.secretOverlapMs > 0 ? until : null },
    });
    if (rotated.count === 0) throw new NotFoundError("WebhookEndpoint", input.id);
    return { endpoint: await this.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id } }), secret };
  }

  /**
   * Queues an event of the organization for the endpoint again, due now: its delivery row starts
   * over (attempts, retry window), or is created when the endpoint never had it.
   */
  async redeliver(caller: Caller, input: z.input<typeof RedeliverEventInput>): Promise<WebhookDelivery> {
    const { endpointId, eventId } = parseInput(RedeliverEventInput, input);
    const endpoint = await this.#find(caller, endpointId, input.endpointId);
    const event = await this.prisma.event.findFirst({ where: { id: eventId, organizationId: caller.organizationId } });
    if (!event) throw new NotFoundError("Event", input.eventId);
    const now = this.clock.now();
    const fresh = { status: "PENDING" as const, attempts: 0, nextAttemptAt: now, leasedUntil: null, firstFailedAt: null, deliveredAt: null };
    const delivery = await this.prisma.webhookDelivery.upsert({
      where: { endpointId_eventId: { endpointId: endpoint.id, eventId } },
      create: { endpointId: endpoint.id, eventId, phoneNumberId: event.phoneNumberId, eventCreatedAt: event.createdAt, ...fresh },
      // An attempt in flight keeps its lease: the redelivery is the attempt after it.
      update: { status: "PENDING", attempts: 0, firstFailedAt: null, deliveredAt: null },
    });
    if (!delivery.leasedUntil) await this.prisma.webhookDelivery.update({ where: { id: delivery.id }, data: { nextAttemptAt: now } });
    this.onDue();
    return this.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } });
  }

  async #find(caller: Caller, id: string | undefined, shownId: string): Promise<WebhookEndpoint> {
    const endpoint = id ? await this.prisma.webhookEndpoint.findFirst({ where: { id, organizationId: caller.organizationId } }) : null;
    if (!endpoint) throw new NotFoundError("WebhookEndpoint", shownId);
    return endpoint;
  }

  /** Where the URL would send requests, checked now (a field error when unsafe); malformed URLs are zod's to report. */
  async #urlErrors(value: unknown) {
    if (typeof value !== "string" || urlProblem(value.trim())) return [];
    try {
      await checkTarget(value.trim(), this.settings, this.resolve);
      return [];
    } catch (error) {
      if (!(error instanceof UnsafeWebhookTarget)) throw error;
      return [{ path: ["input", "url"], message: error.message, code: "NOT_PERMITTED" as const }];
    }
  }
}

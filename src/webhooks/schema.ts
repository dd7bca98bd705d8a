import { encodeGlobalID } from "@pothos/plugin-relay";
import { AUDIT_TARGETS } from "../audit/recorder.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { ERRORS } from "../schema/mutation.ts";
import type { WebhookDelivery, WebhookEndpoint } from "../generated/prisma/client.ts";
import type { WebhookDeliveryStatus } from "../generated/prisma/enums.ts";

// Customers' webhook endpoints and their deliveries (src/webhooks/service.ts, deliverer.ts). All of
// it needs webhooks:admin: an endpoint's URL and deliveries say where the organization's events go.

const WebhookDeliveryStatusEnum = builder.enumType("WebhookDeliveryStatus", {
  description: "Where a delivery of one event to one endpoint stands.",
  values: {
    PENDING: { description: "Not delivered yet: due, waiting for a retry, or waiting for an earlier event of the same number." },
    DELIVERED: { description: "The endpoint answered 2xx." },
    FAILED: { description: "Every attempt failed for WEBHOOK_RETRY_HOURS; not retried unless redelivered." },
  } satisfies EnumValues<WebhookDeliveryStatus>,
});

export const WebhookDeliveryRef = builder.prismaNode("WebhookDelivery", {
  description: "The delivery of one event to one webhook endpoint: its attempts and the last answer.",
  id: { field: "id" },
  nullable: true,
  authScopes: { scope: "webhooks:admin" },
  // Another organization's delivery resolves to null, as if it did not exist.
  findUnique: (id, context) => ({ id, endpoint: { organizationId: context.caller.organizationId } }),
  fields: (t) => ({
    eventId: t.exposeString("eventId", { description: "The event's id: the body's `id` and the `webhook-id` header." }),
    eventType: t.string({
      description: "The event's type (an EventType name, e.g. SETUP_STATUS_CHANGED).",
      select: { event: { select: { type: true } } },
      resolve: (delivery) => delivery.event.type,
    }),
    eventCreatedAt: t.expose("eventCreatedAt", { type: "DateTime", description: "When the event was recorded." }),
    phoneNumberId: t.id({
      description: "The number the event concerns (null for events of the organization as a whole); deliveries of one number go out in order.",
      nullable: true,
      resolve: (delivery) => (delivery.phoneNumberId ? encodeGlobalID("PhoneNumber", delivery.phoneNumberId) : null),
    }),
    status: t.expose("status", { type: WebhookDeliveryStatusEnum, description: "PENDING, DELIVERED or FAILED." }),
    attempts: t.exposeInt("attempts", { description: "Attempts made since the delivery was queued (a redelivery starts over)." }),
    lastResponseStatus: t.exposeInt("lastStatus", { nullable: true, description: "The HTTP status of the last answer; null when none arrived (refused, timed out, connection failed)." }),
    latencyMs: t.exposeInt("lastLatencyMs", { nullable: true, description: "How long the last attempt took, in milliseconds." }),
    error: t.exposeString("lastError", { nullable: true, description: "Why the last attempt failed (null after a success)." }),
    lastAttemptAt: t.expose("lastAttemptAt", { type: "DateTime", nullable: true, description: "When the last attempt started." }),
    nextRetryAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the next attempt is due (PENDING only; while an attempt runs, the end of its lease).",
      resolve: (delivery) => (delivery.status === "PENDING" ? delivery.nextAttemptAt : null),
    }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true, description: "When the endpoint accepted it." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the delivery was queued." }),
  }),
});

export const WebhookEndpointRef = builder.prismaNode("WebhookEndpoint", {
  description: "An HTTPS endpoint of the organization that receives its events, signed (Standard Webhooks), retried and in order per number.",
  id: { field: "id" },
  nullable: true,
  authScopes: { scope: "webhooks:admin" },
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    url: t.exposeString("url", { description: "Where events are POSTed." }),
    eventTypes: t.stringList({ description: "The event types it receives (EventType names).", resolve: (endpoint) => endpoint.eventTypes }),
    description: t.exposeString("description", { description: "The owner's note." }),
    enabled: t.exposeBoolean("enabled", { description: "False: no events are queued for it and its waiting deliveries wait until it is enabled again." }),
    disabledReason: t.exposeString("disabledReason", { nullable: true, description: "Why it is disabled (by its owner, or automatically after failing for WEBHOOK_RETRY_HOURS)." }),
    disabledAt: t.expose("disabledAt", { type: "DateTime", nullable: true, description: "When it was disabled." }),
    failingSince: t.expose("failingSince", { type: "DateTime", nullable: true, description: "When deliveries started failing with no success since; null while healthy." }),
    previousSecretExpiresAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "Until when the secret replaced by the last rotation still signs (a second signature); null when only one secret signs.",
      resolve: (endpoint) => endpoint.previousSecretUntil,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was registered." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
    deliveries: t.relatedConnection(
      "deliveries",
      {
        description: "Its deliveries, newest first.",
        cursor: "id",
        totalCount: true,
        args: { status: t.arg({ type: WebhookDeliveryStatusEnum, description: "Only deliveries in this status." }) },
        query: (args) => ({ where: args.status ? { status: args.status } : {}, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
      },
      { name: "WebhookDeliveryConnection", description: "A page of an endpoint's deliveries." },
      { name: "WebhookDeliveryEdge", description: "One delivery in a page." },
    ),
  }),
});

builder.queryField("webhookEndpoints", (t) =>
  t.prismaConnection(
    {
      type: "WebhookEndpoint",
      cursor: "id",
      description: "The organization's webhook endpoints, newest first.",
      nullable: false,
      authScopes: { scope: "webhooks:admin" },
      totalCount: (_parent, _args, context) => context.prisma.webhookEndpoint.count({ where: { organizationId: context.caller.organizationId } }),
      resolve: (query, _parent, _args, context) =>
        context.prisma.webhookEndpoint.findMany({ ...query, where: { organizationId: context.caller.organizationId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    },
    { name: "WebhookEndpointConnection", description: "A page of webhook endpoints." },
    { name: "WebhookEndpointEdge", description: "One webhook endpoint in a page." },
  ),
);

const EndpointWithSecret = (name: string, description: string) =>
  builder.objectRef<{ endpoint: WebhookEndpoint; secret: string }>(name).implement({
    description,
    // The audit log's target (the value holds the row under another name than the field).
    extensions: { [AUDIT_TARGETS]: (result: { endpoint: WebhookEndpoint }) => [encodeGlobalID("WebhookEndpoint", result.endpoint.id)] },
    fields: (t) => ({
      webhookEndpoint: t.field({ type: WebhookEndpointRef, description: "The endpoint.", resolve: (result) => result.endpoint }),
      secret: t.exposeString("secret", { description: "The signing secret (whsec_...). Shown only this once: store it where the receiver verifies signatures." }),
    }),
  });

const EndpointOnly = (name: string, description: string) =>
  builder.objectRef<{ endpoint: WebhookEndpoint }>(name).implement({
    description,
    extensions: { [AUDIT_TARGETS]: (result: { endpoint: WebhookEndpoint }) => [encodeGlobalID("WebhookEndpoint", result.endpoint.id)] },
    fields: (t) => ({ webhookEndpoint: t.field({ type: WebhookEndpointRef, description: "The endpoint.", resolve: (result) => result.endpoint }) }),
  });

const urlDescription = "https:// URL on a public address (http:// to loopback only where the server allows it). Redirects are not followed.";

builder.mutationField("createWebhookEndpoint", (t) =>
  t.fieldWithInput({
    description: "Registers an endpoint for the organization's events. The signing secret is returned this once.",
    typeOptions: { description: "A new webhook endpoint." },
    authScopes: { scope: "webhooks:admin" },
    input: {
      url: t.input.string({ required: true, description: urlDescription }),
      eventTypes: t.input.stringList({ required: true, description: "Event type names to receive (EventType values, e.g. SETUP_STATUS_CHANGED, NUMBER_RELEASED)." }),
      description: t.input.string({ description: "A note for its owner (at most 500 characters)." }),
      enabled: t.input.boolean({ description: "Defaults to true." }),
    },
    type: EndpointWithSecret("CreateWebhookEndpointSuccess", "The endpoint was registered."),
    errors: { types: [...ERRORS.validation] },
    resolve: (_root, { input }, context) => context.services.webhookEndpoints.create(context.caller, input),
  }),
);

builder.mutationField("updateWebhookEndpoint", (t) =>
  t.fieldWithInput({
    description: "Changes an endpoint. Enabling a disabled one clears why it was disabled and resumes its waiting deliveries.",
    typeOptions: { description: "Changes to a webhook endpoint; omitted fields stay as they are." },
    authScopes: { scope: "webhooks:admin" },
    input: {
      id: t.input.id({ required: true, description: "The endpoint." }),
      url: t.input.string({ description: urlDescription }),
      eventTypes: t.input.stringList({ description: "Event type names to receive (replaces the list)." }),
      description: t.input.string({ description: "A note for its owner." }),
      enabled: t.input.boolean({ description: "False stops queueing events for it; true resumes." }),
    },
    type: EndpointOnly("UpdateWebhookEndpointSuccess", "The endpoint was changed."),
    errors: { types: [...ERRORS.target] },
    resolve: async (_root, { input }, context) => ({ endpoint: await context.services.webhookEndpoints.update(context.caller, input) }),
  }),
);

const DeleteWebhookEndpointSuccess = builder.objectRef<{ endpointId: string }>("DeleteWebhookEndpointSuccess").implement({
  description: "The endpoint and its deliveries were deleted; the events stay.",
  extensions: { [AUDIT_TARGETS]: (result: { endpointId: string }) => [encodeGlobalID("WebhookEndpoint", result.endpointId)] },
  fields: (t) => ({
    deletedWebhookEndpointId: t.id({ description: "Global id of the deleted endpoint.", resolve: (result) => encodeGlobalID("WebhookEndpoint", result.endpointId) }),
  }),
});

builder.mutationField("deleteWebhookEndpoint", (t) =>
  t.fieldWithInput({
    description: "Deletes an endpoint and its deliveries.",
    typeOptions: { description: "The endpoint to delete." },
    authScopes: { scope: "webhooks:admin" },
    input: { id: t.input.id({ required: true, description: "The endpoint." }) },
    type: DeleteWebhookEndpointSuccess,
    errors: { types: [...ERRORS.target] },
    resolve: (_root, { input }, context) => context.services.webhookEndpoints.delete(context.caller, input),
  }),
);

builder.mutationField("rotateWebhookSecret", (t) =>
  t.fieldWithInput({
    description:
      "Replaces an endpoint's signing secret; the new one is returned this once. The old one keeps signing (a second signature in webhook-signature) for WEBHOOK_SECRET_OVERLAP_HOURS (default 24).",
    typeOptions: { description: "The endpoint whose secret to rotate." },
    authScopes: { scope: "webhooks:admin" },
    input: { id: t.input.id({ required: true, description: "The endpoint." }) },
    type: EndpointWithSecret("RotateWebhookSecretSuccess", "The secret was rotated."),
    errors: { types: [...ERRORS.target] },
    resolve: (_root, { input }, context) => context.services.webhookEndpoints.rotateSecret(context.caller, input),
  }),
);

const RedeliverEventSuccess = builder.objectRef<{ delivery: WebhookDelivery }>("RedeliverEventSuccess").implement({
  description: "The event is queued for the endpoint again, due now.",
  fields: (t) => ({ delivery: t.field({ type: WebhookDeliveryRef, description: "The delivery, PENDING with its attempts starting over.", resolve: (result) => result.delivery }) }),
});

builder.mutationField("redeliverEvent", (t) =>
  t.fieldWithInput({
    description: "Sends one of the organization's events to an endpoint again (after a fix on the receiving side, or a FAILED delivery).",
    typeOptions: { description: "Which event to which endpoint." },
    authScopes: { scope: "webhooks:admin" },
    input: {
      endpointId: t.input.id({ required: true, description: "The endpoint." }),
      eventId: t.input.string({ required: true, description: "The event's id: a delivery's eventId and the body's id, or the Event node id from Query.events." }),
    },
    type: RedeliverEventSuccess,
    errors: { types: [...ERRORS.target] },
    resolve: async (_root, { input }, context) => ({ delivery: await context.services.webhookEndpoints.redeliver(context.caller, input) }),
  }),
);

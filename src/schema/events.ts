// The event log in the schema: Query.events, each event with the snapshot recorded with it.
import { createdBetween } from "../db/time-range.ts";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import { grants } from "../auth/scopes.ts";
import type { Context } from "../context.ts";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { isUuid } from "../domain/global-id.ts";
import { EVENT_SCOPES } from "../events/log.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { EventType } from "../generated/prisma/enums.ts";
import { builder, type EnumValues } from "./builder.ts";

const DESCRIPTIONS: EnumValues<EventType> = {
  NUMBER_ORDERED: { description: "A number was ordered from the carrier (PENDING)." },
  NUMBER_ACTIVATED: { description: "A number became ACTIVE: its carrier order completed, or a manual or SIP-trunk number was added." },
  NUMBER_FAILED: { description: "A number's carrier order failed; data.reason says why." },
  NUMBER_UPDATED: { description: "A number's settings changed; data.changed names the fields (never their values)." },
  NUMBER_ASSIGNED: { description: "A number was routed to an agent; data.previousAgentId is the agent before." },
  NUMBER_UNASSIGNED: { description: "A number's agent was removed; data.previousAgentId is the agent before." },
  NUMBER_RELEASED: { description: "A number was released." },
  SETUP_STATUS_CHANGED: { description: "A number's setup status changed; data.previous and data.current are the two statuses." },
  EMERGENCY_REGISTRATION_CHANGED: {
    description:
      "A number's emergency (E911) registration changed: data.previous and data.current are PENDING, ACTIVE, FAILED or null (no address), data.failureReason the carrier's reason when FAILED, data.emergencyAddressId the address.",
  },
  NUMBER_SUSPENDED: { description: "Billing suspended a number for an unpaid charge." },
  NUMBER_REACTIVATED: { description: "A suspended number is back in service (data.by: PAYMENT or ADMIN)." },
  CHARGE_SUCCEEDED: { description: "A charge was paid." },
  CHARGE_FAILED: { description: "A charge was declined or refused." },
  MESSAGE_RECEIVED: { description: "An inbound message arrived." },
  MESSAGE_STATUS_CHANGED: { description: "A message's delivery status changed." },
  VERIFICATION_STATUS_CHANGED: { description: "The organization's 10DLC verification was submitted or decided." },
  TOLL_FREE_VERIFICATION_STATUS_CHANGED: {
    description: "The organization's toll-free SMS verification changed status (a first draft, a submission, a decision, a new submission after a rejection); data.previous and data.current are the two statuses.",
  },
  TOLL_FREE_CARRIER_REGISTRATION_CHANGED: {
    description:
      "An approved toll-free verification's registration with the carrier ended: data.status SUBMITTED (data.requestId, the carrier's request) or FAILED (data.error, the carrier's refusal). Sending is unlocked by the operator's approval either way.",
  },
  API_KEY_CREATED: { description: "An API key was created (the snapshot has no secret)." },
  API_KEY_REVOKED: { description: "An API key was revoked." },
  WEBHOOK_ENDPOINT_DISABLED: { description: "A webhook endpoint was disabled after its deliveries failed for WEBHOOK_RETRY_HOURS; data says why." },
  CALLER_ID_NAME_STATUS_CHANGED: {
    description: "A number's caller ID name was set or cleared, or its carrier status moved (PENDING, ACTIVE, FAILED, STORED); data.callerIdName, data.status, data.reason and data.previousStatus.",
  },
  FALLBACK_STATUS_CHANGED: {
    description: "A number's fallback was set or cleared, or its carrier status moved (PENDING, ACTIVE, FAILED, STORED); data.fallback (forwardTo, sipUri, timeoutSeconds or null), data.status, data.reason and data.previousStatus.",
  },
};

export const EventTypeEnum = builder.enumType("EventType", { description: "What an event in the log records.", values: DESCRIPTIONS });

builder.prismaNode("Event", {
  description: "One recorded state change, with a snapshot of the changed object as it was then.",
  id: { field: "id" },
  nullable: true,
  // Another organization's event, or one whose type the caller's scopes do not read, is null.
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId, type: { in: readableTypes(context) } }),
  fields: (t) => ({
    type: t.expose("type", { type: EventTypeEnum, description: "What happened." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was recorded (in the same transaction as the change)." }),
    phoneNumber: t.relation("phoneNumber", { nullable: true, description: "The number it is about, as it is now (data has it as it was); null for events about no number." }),
    objectId: t.id({
      nullable: true,
      description: "Global id of the object it is about: the number, or the charge or API key.",
      resolve: (event) => (event.subjectType && event.subjectId ? encodeGlobalID(event.subjectType, event.subjectId) : event.phoneNumberId ? encodeGlobalID("PhoneNumber", event.phoneNumberId) : null),
    }),
    data: t.field({ type: "JSON", description: "The snapshot recorded with the event: the changed object as it was, and what changed.", resolve: (event) => event.payload }),
  }),
});

const EventFilter = builder.inputType("EventFilter", {
  description: "Narrows the event log; all given conditions apply.",
  fields: (t) => ({
    types: t.field({ type: [EventTypeEnum], description: "Only these types." }),
    objectId: t.id({ description: "Only events about this object (a number, a charge or an API key)." }),
    createdAfter: t.field({ type: "DateTime", description: "Recorded at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Recorded before this time." }),
  }),
});

/** The event types the caller's scopes read (a number's events need numbers:read, a charge's billing:read, ...). */
function readableTypes(context: Context): EventType[] {
  return (Object.keys(EVENT_SCOPES) as EventType[]).filter((type) => grants(context.caller.scopes, EVENT_SCOPES[type]));
}

function eventWhere(context: Context, filter: { types?: EventType[] | null; objectId?: string | null; createdAfter?: Date | null; createdBefore?: Date | null } | null | undefined): Prisma.EventWhereInput {
  const readable = readableTypes(context);
  const types = filter?.types?.length ? readable.filter((type) => filter.types!.includes(type)) : readable;
  const where: Prisma.EventWhereInput = { organizationId: context.caller.organizationId, type: { in: types } };
  if (filter?.objectId) {
    let decoded: { typename: string; id: string } | undefined;
    try {
      decoded = decodeGlobalID(filter.objectId);
    } catch {
      decoded = undefined;
    }
    if (!decoded || !isUuid(decoded.id)) throw new GraphQLError(`${JSON.stringify(filter.objectId.slice(0, 60))} is not a valid id`, { extensions: { code: "BAD_USER_INPUT" } });
    Object.assign(where, decoded.typename === "PhoneNumber" ? { phoneNumberId: decoded.id } : { subjectType: decoded.typename, subjectId: decoded.id });
  }
  const createdAt = createdBetween(filter);
  if (createdAt) where.createdAt = createdAt;
  return where;
}

builder.queryField("events", (t) =>
  t.prismaConnection(
    {
      type: "Event",
      cursor: "id",
      description: "The organization's event log, newest first: only the types the caller's scopes read (numbers:read for a number's events, billing:read for charges and suspensions, messages:read, verification:read, keys:admin for API keys). Kept EVENT_RETENTION_DAYS.",
      nullable: false,
      args: { filter: t.arg({ type: EventFilter, description: "Narrows the list." }) },
      totalCount: (_parent, args, context) => context.prisma.event.count({ where: eventWhere(context, args.filter) }),
      resolve: (query, _parent, args, context) => context.prisma.event.findMany({ ...query, where: eventWhere(context, args.filter), orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    },
    { name: "EventConnection", description: "A page of the event log." },
    { name: "EventEdge", description: "One event in a page." },
  ),
);

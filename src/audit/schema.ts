import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { createdBetween } from "../db/time-range.ts";
import type { Context } from "../context.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { AuditActorType } from "../generated/prisma/enums.ts";
import { builder, type EnumValues } from "../schema/builder.ts";

// The audit log's read side. Rows are written by the recorder (./recorder.ts) and only read here:
// no mutation changes or deletes them.

const AuditActorTypeEnum = builder.enumType("AuditActorType", {
  description: "What kind of credentials made an audited call.",
  values: {
    API_KEY: { description: "An API key of the organization (actorId is the ApiKey's id)." },
    JWT: { description: "A JWT bearer token (actorId is its `sub` claim)." },
    OPERATOR: { description: "A platform operator key (actorId is the operator key's ApiKey id)." },
  } satisfies EnumValues<AuditActorType>,
});

/** An actor id as the API shows it: a key's global ApiKey id, or a JWT's subject as it is. */
const shownActorId = (actorType: AuditActorType, actorId: string) => (actorType === "JWT" ? actorId : encodeGlobalID("ApiKey", actorId));

builder.prismaNode("AuditEvent", {
  description:
    "One mutation called through the API: who called it, on what, with which input (secret-looking fields redacted) and what it answered. Written when the mutation finished; never changed.",
  id: { field: "id" },
  authScopes: { scope: "audit:read" },
  nullable: true,
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    actorType: t.expose("actorType", { type: AuditActorTypeEnum, description: "API_KEY, JWT or OPERATOR." }),
    actorId: t.string({
      description: "Who called: the API key's global id (an ApiKey node id) for API_KEY and OPERATOR, the token's `sub` for JWT.",
      resolve: (event) => shownActorId(event.actorType, event.actorId),
    }),
    actorName: t.exposeString("actorName", { nullable: true, description: "The API key's name when it was used; null for JWTs." }),
    operation: t.exposeString("operation", { description: 'The mutation field called, e.g. "createAgent" (one event per field of an operation).' }),
    operationName: t.exposeString("operationName", { nullable: true, description: "The name of the GraphQL operation that called it, when it had one." }),
    targetIds: t.exposeIDList("targetIds", { description: "Global ids of the objects named by the input (id, phoneNumberId, agentId, ...) and of the objects in the result." }),
    resultType: t.exposeString("resultType", {
      description:
        "What the mutation answered: its payload type (e.g. CreateAgentSuccess, ValidationError, NotFoundError), or the code of an error outside the payload (FORBIDDEN, INTERNAL_ERROR, ...), or NOT_EXECUTED when the operation stopped before this field ran.",
    }),
    input: t.expose("input", {
      type: "JSON",
      description: `The mutation's input. Fields whose names look secret (password, secret, token, apiKey, signature, privateKey, credential) read "[REDACTED]"; strings over 1,000 characters are cut, and fields past 16 KB are dropped and named under "[DROPPED]".`,
    }),
    requestId: t.exposeString("requestId", { nullable: true, description: "The request's X-Request-Id header, when it had one." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the mutation finished and was recorded." }),
  }),
});

const AuditEventFilter = builder.inputType("AuditEventFilter", {
  description: "Narrows the audit log. Every given condition must hold.",
  fields: (t) => ({
    actorId: t.string({ maxLength: 300, description: "Only calls by this actor: an ApiKey global id (as actorId shows it) or a JWT subject." }),
    operation: t.string({ maxLength: 100, description: 'Only calls of this mutation, e.g. "releasePhoneNumber".' }),
    targetId: t.id({ description: "Only calls that named or returned this object (a global id)." }),
    createdAfter: t.field({ type: "DateTime", description: "Only events at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Only events before this time." }),
  }),
});

interface AuditFilterValue {
  actorId?: string | null;
  operation?: string | null;
  targetId?: string | number | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

/** The stored actor id a filter's actorId names: a key's uuid for an ApiKey global id, else the subject as given. */
function storedActorId(actorId: string): string {
  try {
    const { typename, id } = decodeGlobalID(actorId);
    if (typename === "ApiKey" && encodeGlobalID(typename, id) === actorId) return id;
  } catch {
    // Not a global id: a JWT subject.
  }
  return actorId;
}

function auditWhere(context: Context, filter: AuditFilterValue | null | undefined): Prisma.AuditEventWhereInput {
  const where: Prisma.AuditEventWhereInput = { organizationId: context.caller.organizationId };
  if (filter?.actorId) where.actorId = storedActorId(filter.actorId);
  if (filter?.operation) where.operation = filter.operation;
  if (filter?.targetId !== undefined && filter.targetId !== null) where.targetIds = { has: String(filter.targetId) };
  const createdAt = createdBetween(filter);
  if (createdAt) where.createdAt = createdAt;
  return where;
}

/** Newest first, the id breaking ties, so cursors never skip or repeat rows. */
const NEWEST_FIRST = [{ createdAt: "desc" as const }, { id: "desc" as const }];

builder.queryField("auditEvents", (t) =>
  t.prismaConnection(
    {
      type: "AuditEvent",
      cursor: "id",
      description: "The organization's audit log: every mutation called with its credentials, newest first. Needs audit:read.",
      nullable: false,
      authScopes: { scope: "audit:read" },
      args: { filter: t.arg({ type: AuditEventFilter, description: "Narrows the list." }) },
      totalCount: (_parent, args, context) => context.prisma.auditEvent.count({ where: auditWhere(context, args.filter) }),
      resolve: (query, _parent, args, context) => context.prisma.auditEvent.findMany({ ...query, where: auditWhere(context, args.filter), orderBy: NEWEST_FIRST }),
    },
    { name: "AuditEventConnection", description: "A page of audit events." },
    { name: "AuditEventEdge", description: "One audit event in a page." },
  ),
);

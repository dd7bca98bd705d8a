import { encodeGlobalID } from "@pothos/plugin-relay";
import { AUDIT_TARGETS } from "../audit/recorder.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { ERRORS } from "../schema/mutation.ts";
import { OrderDirectionEnum } from "../schema/order.ts";
import type { Agent } from "../generated/prisma/client.ts";
import type { AgentStatus } from "../generated/prisma/enums.ts";
import type { AgentOrder } from "./service.ts";

export const AgentStatusEnum = builder.enumType("AgentStatus", {
  description: "Whether an agent takes calls and messages.",
  values: {
    ACTIVE: { description: "The agent answers calls and messages." },
    PAUSED: { description: "The agent is paused: numbers routed to it are not inbound-ready." },
  } satisfies EnumValues<AgentStatus>,
});

export const AgentRef = builder.prismaNode("Agent", {
  description: "A voice/SMS agent that phone numbers route to.",
  id: { field: "id" },
  // An unknown id, or another organization's, makes node(id) null as if it did not exist; without
  // `nullable` the plugin loads with findUniqueOrThrow and the miss becomes a masked error.
  nullable: true,
  authScopes: { scope: "agents:read" },
  // Another organization's id resolves to null, as if it did not exist.
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Display name." }),
    status: t.expose("status", { type: AgentStatusEnum, description: "ACTIVE or PAUSED." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the agent was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the agent last changed." }),
    phoneNumbers: t.relatedConnection(
      "phoneNumbers",
      {
        description: "The agent's unreleased phone numbers, oldest first (null without numbers:read).",
        nullable: true,
        cursor: "id",
        totalCount: true,
        authScopes: { scope: "numbers:read" },
        query: () => ({ where: { status: { not: "RELEASED" } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
      },
      { name: "AgentPhoneNumberConnection", description: "A page of an agent's phone numbers." },
      { name: "AgentPhoneNumberEdge", description: "One of an agent's phone numbers." },
    ),
  }),
});

const AgentFilter = builder.inputType("AgentFilter", {
  description: "Narrows an agent list.",
  fields: (t) => ({
    statuses: t.field({ type: [AgentStatusEnum], description: "Only agents in these statuses." }),
    text: t.string({ description: "Case-insensitive substring of the name." }),
  }),
});

const AgentOrderField = builder.enumType("AgentOrderField", {
  description: "What an agent list is sorted by (the id breaks ties).",
  values: {
    CREATED_AT: { description: "Creation time." },
    UPDATED_AT: { description: "Last change." },
    NAME: { description: "Name." },
  } satisfies EnumValues<AgentOrder["field"]>,
});

const AgentOrder = builder.inputType("AgentOrder", {
  description: "Sort order of an agent list.",
  fields: (t) => ({
    field: t.field({ type: AgentOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: "Sort direction." }),
  }),
});

builder.queryField("agents", (t) =>
  t.prismaConnection(
    {
      type: "Agent",
      cursor: "id",
      description: "The organization's agents, newest first unless ordered otherwise.",
      nullable: false,
      authScopes: { scope: "agents:read" },
      args: {
        filter: t.arg({ type: AgentFilter, description: "Narrows the list." }),
        orderBy: t.arg({ type: AgentOrder, description: "Sort order; defaults to CREATED_AT DESC." }),
      },
      totalCount: (_parent, args, context) =>
        context.prisma.agent.count({ where: context.services.agents.where(context.caller, args.filter) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.agent.findMany({
          ...query,
          where: context.services.agents.where(context.caller, args.filter),
          orderBy: context.services.agents.orderBy(args.orderBy),
        }),
    },
    { name: "AgentConnection", description: "A page of agents." },
    { name: "AgentEdge", description: "One agent in a page." },
  ),
);

const AgentSuccess = (name: string, description: string) =>
  builder.objectRef<{ agent: Agent }>(name).implement({
    description,
    fields: (t) => ({ agent: t.field({ type: AgentRef, description: "The agent.", resolve: (result) => result.agent }) }),
  });

builder.mutationField("createAgent", (t) =>
  t.fieldWithInput({
    description: "Creates an agent that numbers can route to.",
    typeOptions: { description: "A new agent." },
    authScopes: { scope: "agents:write" },
    input: {
      name: t.input.string({ required: true, maxLength: 100, description: "Display name, not blank." }),
      status: t.input.field({ type: AgentStatusEnum, description: "Defaults to ACTIVE." }),
    },
    type: AgentSuccess("CreateAgentSuccess", "The agent was created."),
    errors: { types: [...ERRORS.validation] },
    resolve: async (_root, { input }, context) => ({ agent: await context.services.agents.create(context.caller, input) }),
  }),
);

builder.mutationField("updateAgent", (t) =>
  t.fieldWithInput({
    description: "Renames, pauses or resumes an agent. Pausing makes its numbers not inbound-ready.",
    typeOptions: { description: "Changes to an agent; omitted fields stay as they are." },
    authScopes: { scope: "agents:write" },
    input: {
      id: t.input.id({ required: true, description: "The agent." }),
      name: t.input.string({ maxLength: 100, description: "New display name, not blank." }),
      status: t.input.field({ type: AgentStatusEnum, description: "New status." }),
    },
    type: AgentSuccess("UpdateAgentSuccess", "The agent was changed."),
    errors: { types: [...ERRORS.target] },
    resolve: async (_root, { input }, context) => ({ agent: await context.services.agents.update(context.caller, input) }),
  }),
);

const DeleteAgentSuccess = builder.objectRef<{ agentId: string; unassignedNumberIds: string[] }>("DeleteAgentSuccess").implement({
  description: "The agent was deleted; its numbers stay and are now unassigned.",
  // The audit log's targets: the fields below load rows, the value holds only ids.
  extensions: {
    [AUDIT_TARGETS]: (result: { agentId: string; unassignedNumberIds: string[] }) => [
      encodeGlobalID("Agent", result.agentId),
      ...result.unassignedNumberIds.map((id) => encodeGlobalID("PhoneNumber", id)),
    ],
  },
  fields: (t) => ({
    deletedAgentId: t.id({
      description: "Global id of the deleted agent.",
      resolve: (result) => encodeGlobalID("Agent", result.agentId),
    }),
    unassignedPhoneNumbers: t.prismaField({
      type: ["PhoneNumber"],
      description: "The numbers that routed to the agent; their setup status now reports NO_AGENT.",
      resolve: (query, result, _args, context) =>
        context.prisma.phoneNumber.findMany({ ...query, where: { id: { in: result.unassignedNumberIds } }, orderBy: { createdAt: "asc" } }),
    }),
  }),
});

builder.mutationField("deleteAgent", (t) =>
  t.fieldWithInput({
    description: "Deletes an agent. Its numbers are kept and become unassigned.",
    typeOptions: { description: "The agent to delete." },
    authScopes: { scope: "agents:write" },
    input: { id: t.input.id({ required: true, description: "The agent." }) },
    type: DeleteAgentSuccess,
    errors: { types: [...ERRORS.target] },
    resolve: (_root, { input }, context) => context.services.agents.delete(context.caller, input),
  }),
);

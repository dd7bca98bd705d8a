// Imports every part of the schema (each file registers its types on the builder), then builds it.
import "./errors.ts";
import "./viewer.ts";
import "./subscriptions.ts";
import "../agents/schema.ts";
import "../numbers/schema/types.ts";
import "../numbers/schema/list.ts";
import "../numbers/schema/mutations.ts";
import "../numbers/schema/voice-settings.ts";
import "../numbers/provisioning-schema.ts";
import "../emergency/schema.ts";
import "../apikeys/schema.ts";
import "../numbers/subscriptions.ts";
import "../verification/schema.ts";
import "../verification/toll-free-schema.ts";
import "../messages/schema.ts";
import "../billing/schema.ts";
import "./events.ts";
import "../webhooks/schema.ts";
import "../audit/schema.ts";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { isInterfaceType, isObjectType } from "graphql";
import { builder, setNodeTypeNames } from "./builder.ts";
import { captureMutationOutcomes } from "../audit/recorder.ts";

export const schema = builder.toSchema({ sortSchema: true });

// node/nodes accept only ids of Node types: an id naming any other type is malformed input.
const nodeInterface = schema.getType("Node");
if (isInterfaceType(nodeInterface)) {
  const nodeTypes = schema.getImplementations(nodeInterface).objects;
  setNodeTypeNames(nodeTypes.map((type) => type.name));
  // plugin-relay resolves every `id` with an async function, so each object of a list became a
  // promise for the executor (twice per row of a page of numbers with their agents). Every Node
  // here is a Prisma model whose id is its `id` column: the same global id, computed at once.
  for (const type of nodeTypes) {
    const field = type.getFields().id;
    const relayResolve = field?.resolve;
    if (!field || !relayResolve) continue;
    field.resolve = (parent, args, context, info) =>
      typeof (parent as { id?: unknown }).id === "string" ? encodeGlobalID(type.name, (parent as { id: string }).id) : relayResolve(parent, args, context, info);
  }
}

// plugin-prisma adds `totalCount` to connections without a description; every field gets one, and
// the phone numbers' says what it costs (src/numbers/page-query.ts, totalSql).
const TOTAL_COUNT_DESCRIPTIONS: Record<string, string> = {
  PhoneNumberConnection:
    "Number of phone numbers in the whole list (after filters), ignoring pagination. Without a filter (or with only `released: EXCLUDE`) it is read from a counter kept with every change, at the same cost whatever the organization's size; with any other filter the filtered set is counted, in time that grows with it (about 0.05 ms per 1,000 numbers), so select it only when it is shown.",
};
for (const type of Object.values(schema.getTypeMap())) {
  if (isObjectType(type) && type.name.endsWith("Connection")) {
    const totalCount = type.getFields().totalCount;
    if (totalCount && !totalCount.description) {
      totalCount.description = TOTAL_COUNT_DESCRIPTIONS[type.name] ?? "Number of items in the whole list (after filters), ignoring pagination.";
    }
  }
}

// Every mutation field's outcome (payload type, result ids, input) is known to the audit log.
captureMutationOutcomes(schema);

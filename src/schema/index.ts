// Imports every part of the schema (each file registers its types on the builder), then builds it.
import "./errors.ts";
import "./viewer.ts";
import "./subscriptions.ts";
import "../agents/schema.ts";
import "../numbers/schema/types.ts";
import "../numbers/schema/list.ts";
import "../numbers/schema/mutations.ts";
import "../numbers/provisioning-schema.ts";
import "../apikeys/schema.ts";
import "../numbers/subscriptions.ts";
import "../verification/schema.ts";
import "../messages/schema.ts";
import { isInterfaceType, isObjectType } from "graphql";
import { builder, setNodeTypeNames } from "./builder.ts";

export const schema = builder.toSchema({ sortSchema: true });

// node/nodes accept only ids of Node types: an id naming any other type is malformed input.
const nodeInterface = schema.getType("Node");
if (isInterfaceType(nodeInterface)) setNodeTypeNames(schema.getImplementations(nodeInterface).objects.map((type) => type.name));

// plugin-prisma adds `totalCount` to connections without a description; every field gets one.
for (const type of Object.values(schema.getTypeMap())) {
  if (isObjectType(type) && type.name.endsWith("Connection")) {
    const totalCount = type.getFields().totalCount;
    if (totalCount && !totalCount.description) {
      totalCount.description = "Number of items in the whole list (after filters), ignoring pagination.";
    }
  }
}

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { plugin as fragmentMatcher } from "@graphql-codegen/fragment-matcher";
import { decodeGlobalID } from "@pothos/plugin-relay";
import {
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isUnionType,
  parse,
  validate,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
} from "graphql";
import { undescribed } from "../src/schema/describe-check.ts";
import { schema } from "../src/schema/index.ts";
import { printSchemaFile } from "../src/schema/print.ts";

describe("schema", () => {
  test("schema.graphql is what the Pothos schema prints (run `npm run schema:print` after changing it)", async () => {
    const committed = await readFile(new URL("../schema.graphql", import.meta.url), "utf8");
    assert.equal(committed, printSchemaFile(), "schema.graphql is stale: run `npm run schema:print` and commit it");
  });

  test("every type, field, argument and enum value has a description", () => {
    assert.deepEqual(undescribed(schema), []);
  });

  test("every Node's id is its global id at once, not a promise per object (lists stay synchronous)", () => {
    const node = schema.getType("Node");
    assert.ok(isInterfaceType(node));
    const types = schema.getImplementations(node).objects;
    assert.ok(types.length >= 6, types.map((t) => t.name).join());
    const id = "0b5e4b8e-3f43-4c1b-9a47-6c3a3c6f2d11";
    for (const type of types) {
      const resolved = type.getFields().id!.resolve!({ id }, {}, {}, {} as GraphQLResolveInfo);
      assert.equal(typeof resolved, "string", `${type.name}.id`);
      assert.deepEqual(decodeGlobalID(resolved as string), { typename: type.name, id });
    }
  });

  test("every mutation payload takes `... on Error { message code }` next to every field of every member", () => {
    // A member's field named like one of Error's with another type (SendMessageSuccess.message was a
    // Message) makes the documented pattern fail validation ("fields conflict").
    const mutation = schema.getMutationType()!;
    const problems: string[] = [];
    for (const field of Object.values(mutation.getFields())) {
      const payload = getNamedType(field.type);
      if (!isUnionType(payload)) {
        problems.push(`Mutation.${field.name} returns ${payload.name}, not a payload union`);
        continue;
      }
      const members = payload.getTypes().map((member) => `... on ${member.name} { ${everyField(member)} }`);
      const document = parse(`mutation { ${field.name}(input: $input) { __typename ... on Error { message code } ${members.join(" ")} } }`.replace("mutation {", `mutation($input: ${String(field.args[0]!.type)}) {`));
      problems.push(...validate(schema, document).map((error) => `${field.name}: ${error.message}`));
    }
    assert.deepEqual(problems, []);
  });

  test("clients/possible-types.json is what the fragment-matcher plugin prints (run `npm run codegen` after changing the schema)", async () => {
    const committed = await readFile(new URL("../clients/possible-types.json", import.meta.url), "utf8");
    const printed = await fragmentMatcher(schema, [], { apolloClientVersion: 3 }, { outputFile: "clients/possible-types.json" });
    assert.equal(committed, typeof printed === "string" ? printed : printed.content, "clients/possible-types.json is stale: run `npm run codegen` and commit it");
    const { possibleTypes } = JSON.parse(committed) as { possibleTypes: Record<string, string[]> };
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isAbstractType(type) || type.name.startsWith("__")) continue;
      assert.deepEqual([...(possibleTypes[type.name] ?? [])].sort(), schema.getPossibleTypes(type).map((t) => t.name).sort(), type.name);
    }
  });

  test("root connections are non-null: a client never null-checks a list it may read", () => {
    const roots = Object.values(schema.getQueryType()!.getFields()).filter((field) => getNamedType(field.type).name.endsWith("Connection"));
    assert.ok(roots.length >= 10, roots.map((field) => field.name).join());
    assert.deepEqual(roots.filter((field) => !isNonNullType(field.type)).map((field) => field.name), []);
  });

  test("every ErrorCode says what it means and which error type carries it", () => {
    const codes = schema.getType("ErrorCode") as unknown as { getValues(): Array<{ name: string; description?: string | null }> };
    for (const value of codes.getValues()) {
      assert.doesNotMatch(value.description ?? "", /^An? [a-z ]+ error\.$/, `${value.name}: ${value.description}`);
      assert.match(value.description ?? "", /^[A-Za-z]+Error: /, value.name);
    }
  });
});

/** Every field of an object type without required arguments: leaves by name, objects as `{ __typename }`. */
function everyField(type: GraphQLObjectType): string {
  return Object.values(type.getFields())
    .filter((field) => field.args.every((arg) => !isNonNullType(arg.type) || arg.defaultValue !== undefined))
    .map((field) => (isLeafType(getNamedType(field.type)) ? field.name : `${field.name} { __typename }`))
    .join(" ");
}

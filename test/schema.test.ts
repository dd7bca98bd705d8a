import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { isInterfaceType, type GraphQLResolveInfo } from "graphql";
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
});

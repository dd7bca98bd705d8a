import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
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
});

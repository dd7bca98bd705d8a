import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";

// The layers of design.md, checked on the import statements themselves: the domain is pure, and
// the event machinery (bus, recorded changes, delivery cache) knows nothing of the GraphQL schema,
// so jobs and webhooks can use it without pulling the schema in.

const SRC = new URL("../src/", import.meta.url).pathname;

/** Every module a file under `dir` imports, as a path relative to src/ (or the package name). */
async function importsUnder(dir: string): Promise<Array<{ file: string; target: string }>> {
  const found: Array<{ file: string; target: string }> = [];
  for (const name of await readdir(path.join(SRC, dir))) {
    if (!name.endsWith(".ts")) continue;
    const file = path.join(dir, name);
    const text = await readFile(path.join(SRC, file), "utf8");
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)) {
      const specifier = match[1]!;
      const target = specifier.startsWith(".") ? path.normalize(path.join(dir, specifier)) : specifier;
      found.push({ file, target });
    }
  }
  return found;
}

const isGraphqlLayer = (target: string) =>
  target.startsWith("schema/") || /(^|\/)(schema|provisioning-schema|subscriptions)\.ts$/.test(target) || target === "graphql" || target.startsWith("@pothos/core") || target === "context.ts";

describe("layers", () => {
  test("events/ does not import the GraphQL layer (schema files, graphql, the request context)", async () => {
    const imports = await importsUnder("events");
    assert.ok(imports.length > 0, "the scan found the events modules' imports");
    assert.deepEqual(imports.filter(({ target }) => isGraphqlLayer(target)), []);
  });

  test("domain/ is pure: no database, no GraphQL schema, no services", async () => {
    const imports = await importsUnder("domain");
    assert.ok(imports.length > 0, "the scan found the domain modules' imports");
    const outside = imports.filter(({ target }) => isGraphqlLayer(target) || target.startsWith("db/") || target.startsWith("generated/") || target.includes("service") || target.startsWith("@prisma/"));
    assert.deepEqual(outside, []);
  });
});

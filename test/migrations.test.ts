import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, test } from "node:test";
import pg from "pg";
import { connectionOptionsFromUrl } from "../src/db/connection-options.ts";
import { migrateDatabase, pendingMigrations } from "../src/db/migrate.ts";
import { createLogger } from "../src/logger.ts";
import { createScratchDatabase } from "./helpers/harness.ts";
import { runScript } from "./helpers/processes.ts";

const serverUrl = process.env.TEST_DATABASE_URL;
const skip = serverUrl ? false : "skipped: set TEST_DATABASE_URL to a PostgreSQL server to run the migration tests";
if (skip) console.log(`migrations: ${skip}`);

describe("migrations on a PostgreSQL server", { skip }, () => {
  test("a fresh database is migrated on start, and an up-to-date one is left alone", async () => {
    const url = await createScratchDatabase("switchboard_migrate");
    const logger = createLogger("silent");
    assert.ok((await pendingMigrations(url)).length > 0);
    const first = await migrateDatabase(url, logger);
    const committed = readdirSync("prisma/migrations", { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    assert.deepEqual(first.applied, committed.sort());
    assert.deepEqual(await pendingMigrations(url), []);
    assert.deepEqual((await migrateDatabase(url, logger)).applied, [], "nothing to apply the second time");

    const client = new pg.Client(connectionOptionsFromUrl(url));
    await client.connect();
    try {
      const index = await client.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'PhoneNumber_e164_live_key'`);
      assert.match(index.rows[0]?.indexdef ?? "", /UNIQUE INDEX .* WHERE/, "live numbers are unique through a partial index");
    } finally {
      await client.end();
    }
  });

  test("the committed migrations produce exactly prisma/schema.prisma (no drift)", async () => {
    const url = await createScratchDatabase("switchboard_drift");
    const result = await runScript(
      "node_modules/prisma/build/index.js",
      ["migrate", "diff", "--from-migrations", "prisma/migrations", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
      { DATABASE_URL: url, NODE_OPTIONS: "--require ./scripts/unref-long-timers.cjs" },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /This is an empty migration/, `schema.prisma differs from the migrations; add a migration:\n${result.stdout}`);
  });
});

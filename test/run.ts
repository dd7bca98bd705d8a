// Runs every test/*.test.ts in one process against one database (see helpers/harness.ts), so the
// embedded PGlite starts once per run. `npm test` runs on the embedded default; `npm run
// test:postgres` runs the same suite on TEST_DATABASE_URL's server.
import { readdir } from "node:fs/promises";
import { after, describe } from "node:test";
import { closeEnvironment, testTarget } from "./helpers/harness.ts";

const only = process.argv.slice(2);
const files = (await readdir(new URL(".", import.meta.url)))
  .filter((file) => file.endsWith(".test.ts"))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();

console.log(`Switchboard tests on the ${testTarget()} database: ${files.join(", ")}`);
// One enclosing suite, so the server and database close after the last test. A root-level `after`
// would wait for the event loop to empty, which the open database never lets happen.
// The suite fails rather than hangs if something never settles (it takes about a minute).
describe(`Switchboard (${testTarget()} database)`, { timeout: 15 * 60_000 }, async () => {
  after(closeEnvironment);
  for (const file of files) await import(new URL(file, import.meta.url).href);
});

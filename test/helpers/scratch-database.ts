import pg from "pg";
import { connectionOptionsFromUrl } from "../../src/db/connection-options.ts";

/** A new empty database on the server of `serverUrl` (tests and benchmarks), and how to drop it. */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const run = async (sql: string) => {
    const client = new pg.Client(connectionOptionsFromUrl(serverUrl));
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

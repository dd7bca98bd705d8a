import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * The embedded default: PostgreSQL compiled to Wasm (PGlite), persisted in DATA_DIR and served on
 * a loopback port over the PostgreSQL wire protocol, so the same adapter-pg client and the same
 * `prisma migrate deploy` serve it and a real server alike.
 *
 * PGlite is a single session. The socket server queues statements from all connections and keeps
 * a transaction's statements together, so a few connections (the server's one-connection pool, a
 * migration child, the apikey CLI) can share it safely.
 */
export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  /** True when this start created the data directory (initdb ran). */
  created: boolean;
  stop(): Promise<void>;
}

/** Written while a process serves DATA_DIR, so other processes (the CLI) reach it instead of opening it twice. */
export const EMBEDDED_LOCK_FILE = "embedded-server.json";

export interface EmbeddedLock {
  pid: number;
  url: string;
}

export async function readEmbeddedLock(dataDir: string): Promise<EmbeddedLock | undefined> {
  try {
    const lock = JSON.parse(await readFile(path.join(dataDir, EMBEDDED_LOCK_FILE), "utf8")) as EmbeddedLock;
    process.kill(lock.pid, 0);
    return lock;
  } catch {
    return undefined;
  }
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const pgDir = path.resolve(dataDir, "pglite");
  const existing = await readEmbeddedLock(dataDir);
  if (existing && existing.pid !== process.pid) {
    throw new Error(`${dataDir} is already served by process ${existing.pid}; stop it or use another DATA_DIR`);
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const created = !(await readFile(path.join(pgDir, "PG_VERSION"), "utf8").then(() => true, () => false));
  // pg_trgm serves the number list's text filter from an index (migration 20261128230000_text_search).
  const db = await PGlite.create({ dataDir: pgDir, extensions: { pg_trgm } });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres`;
  const lockPath = path.join(dataDir, EMBEDDED_LOCK_FILE);
  await writeFile(lockPath, JSON.stringify({ pid: process.pid, url } satisfies EmbeddedLock), { mode: 0o600 });
  let stopped = false;
  return {
    url,
    dataDir: pgDir,
    created,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      await rm(lockPath, { force: true });
    },
  };
}

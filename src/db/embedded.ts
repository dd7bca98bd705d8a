import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { startWireAuthFront } from "./wire-auth.ts";

/**
 * The embedded default: PostgreSQL compiled to Wasm (PGlite), persisted in DATA_DIR and served on
 * a loopback port over the PostgreSQL wire protocol, so the same adapter-pg client and the same
 * `prisma migrate deploy` serve it and a real server alike.
 *
 * Only this server and its CLI get in: the loopback port asks for a password (SCRAM-SHA-256,
 * src/db/wire-auth.ts) made afresh at each start and written, inside the URL, to
 * DATA_DIR/embedded-server.json with owner-only permissions (0600); behind it the wire server
 * itself listens on a Unix socket in a private directory (0700) under the system's temp dir.
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
  /** The loopback URL, with the password of this start: the file is the owner's only (0600). */
  url: string;
  /** The private directory of the wire server's Unix socket (removed after a crash by the next start). */
  socketDir?: string;
}

const SOCKET_DIR_PREFIX = "switchboard-pg-";

/** What a previous start that never stopped (kill -9) left: its lock, and its socket directory. */
async function clearStaleLock(dataDir: string): Promise<void> {
  const lockPath = path.join(dataDir, EMBEDDED_LOCK_FILE);
  const stale = await readFile(lockPath, "utf8").then((text) => JSON.parse(text) as Partial<EmbeddedLock>, () => undefined);
  if (!stale) return;
  const socketDir = typeof stale.socketDir === "string" ? path.resolve(stale.socketDir) : undefined;
  // Only a directory this code makes: the lock file is ours, but a path read from a file gets checked before rm -r.
  if (socketDir && path.dirname(socketDir) === path.resolve(tmpdir()) && path.basename(socketDir).startsWith(SOCKET_DIR_PREFIX)) {
    await rm(socketDir, { recursive: true, force: true });
  }
  await rm(lockPath, { force: true });
}

/** Replaces `file` as a whole, created owner-only: a lock left behind with wider permissions never keeps them. */
async function writePrivateFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
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
  await clearStaleLock(dataDir);
  const created = !(await readFile(path.join(pgDir, "PG_VERSION"), "utf8").then(() => true, () => false));
  // pg_trgm serves the number list's text filter from an index (migration 20261128230000_text_search).
  const db = await PGlite.create({ dataDir: pgDir, extensions: { pg_trgm } });
  // mkdtemp makes the directory 0700: only this user (and root) can reach the socket inside it.
  // Under the temp dir rather than DATA_DIR, whose path may be longer than a socket path may be.
  const socketDir = await mkdtemp(path.join(tmpdir(), SOCKET_DIR_PREFIX));
  const server = new PGLiteSocketServer({ db, path: path.join(socketDir, ".s.PGSQL.5432"), maxConnections: 16 });
  const password = randomBytes(24).toString("base64url");
  let front: Awaited<ReturnType<typeof startWireAuthFront>> | undefined;
  const lockPath = path.join(dataDir, EMBEDDED_LOCK_FILE);
  const stopAll = async () => {
    await front?.close();
    await server.stop();
    await db.close();
    await rm(socketDir, { recursive: true, force: true });
  };
  let url: string;
  try {
    await server.start();
    front = await startWireAuthFront({ host: "127.0.0.1", password, upstream: server.getServerConn() });
    url = `postgresql://postgres:${password}@${front.host}:${front.port}/postgres`;
    await writePrivateFile(lockPath, JSON.stringify({ pid: process.pid, url, socketDir } satisfies EmbeddedLock));
  } catch (error) {
    await stopAll();
    throw error;
  }
  let stopped = false;
  return {
    url,
    dataDir: pgDir,
    created,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll();
      await rm(lockPath, { force: true });
    },
  };
}

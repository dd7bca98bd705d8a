import net from "node:net";
import pg from "pg";
import { connectionOptionsFromUrl } from "./db/connection-options.ts";

/**
 * An expected reason not to start (the port is taken, the database is unreachable, DATA_DIR is in
 * use): printed as one line on stderr, exit code 2, no stack trace.
 */
export class StartupProblem extends Error {}

/** One line for a listen error on host:port, or undefined when the error is not one a user can fix by configuration. */
export function describeListenError(error: unknown, host: string, port: number): string | undefined {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return `Port ${port} on ${host} is already in use (another Switchboard, or another program): stop it or set PORT to a free port.`;
    case "EACCES":
      return `Not allowed to listen on ${host}:${port} (ports below 1024 need privileges): set PORT to 1024 or above.`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `HOST ${host} is not an address of this machine: set HOST to one (127.0.0.1 for this machine only, 0.0.0.0 for every interface).`;
    default:
      return undefined;
  }
}

/**
 * Fails before anything slow (opening the database, migrating) when the server could not listen.
 * The real listen later remains the authority: a port taken in between is reported the same way.
 */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return; // any free port: nothing to check
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    const problem = describeListenError(error, host, port);
    if (problem) throw new StartupProblem(problem);
    throw error;
  } finally {
    await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()));
  }
}

/** One line for a failure to connect to PostgreSQL, or undefined for an error that is not about reaching it. */
export function describeDatabaseError(error: unknown, url: string): string | undefined {
  let where: string;
  try {
    const { host, port, database } = connectionOptionsFromUrl(url);
    where = `the PostgreSQL server of DATABASE_URL (${host}:${port}, database ${database})`;
  } catch {
    return undefined;
  }
  const first = error instanceof AggregateError ? (error.errors[0] as unknown) : error;
  const code = (error as { code?: string }).code ?? (first as { code?: string } | undefined)?.code;
  const message = first instanceof Error ? first.message : String(first);
  switch (code) {
    case "ECONNREFUSED":
      return `Cannot reach ${where}: connection refused (is it running, on that port?).`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `Cannot reach ${where}: the host name does not resolve.`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `Cannot reach ${where}: ${code}.`;
    case "ECONNRESET":
      return `Cannot reach ${where}: the connection was reset.`;
    default:
      if (/timeout/i.test(message) && /connect/i.test(message)) return `Cannot reach ${where}: no answer within 5 s.`;
      // A server-side refusal carries a SQLSTATE (28P01 wrong password, 28000 no access, 3D000 no such database):
      // its message names the user or database, never the password.
      if (code && /^(28|3D|57P03|53300)/.test(code)) return `The ${where.replace(/^the /, "")} refused the connection: ${message} (SQLSTATE ${code}).`;
      return undefined;
  }
}

/** Connects once (5 s at most) and runs `SELECT 1`, so an unreachable database is one clear line before migrations start. */
export async function checkDatabaseReachable(url: string): Promise<void> {
  const client = new pg.Client({ ...connectionOptionsFromUrl(url), connectionTimeoutMillis: 5_000 });
  client.on("error", () => {}); // a failure surfaces through connect()/query()
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    const problem = describeDatabaseError(error, url);
    if (problem) throw new StartupProblem(problem);
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/** In embedded mode DATA_DIR belongs to one server process; a second one is refused before it opens anything. */
export async function checkDataDirFree(dataDir: string): Promise<void> {
  const { readEmbeddedLock } = await import("./db/embedded.ts");
  const lock = await readEmbeddedLock(dataDir);
  if (lock && lock.pid !== process.pid) {
    throw new StartupProblem(`DATA_DIR ${dataDir} is already served by process ${lock.pid} (another Switchboard): stop it or set DATA_DIR to another directory.`);
  }
}

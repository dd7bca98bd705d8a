// `switchboard serve`: the server process. Start-up checks what can fail cheaply first
// (configuration, the port, DATA_DIR or the database), then opens and migrates the database, listens,
// and only then seeds the demo organization and prints its key. SIGTERM and SIGINT stop it
// gracefully at any point, also during start-up.
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { parseCommandArgs } from "./cli/args.ts";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import type { Switchboard } from "./bootstrap.ts";
import { createLogger } from "./logger.ts";
import { checkDatabaseReachable, checkDataDirFree, checkPortFree, describeDatabaseError, describeListenError, StartupProblem } from "./startup-checks.ts";

export const SERVE_USAGE = `Usage: switchboard serve

Starts the GraphQL server (http://HOST:PORT/graphql, WebSocket subscriptions on the same path).
Configuration comes from the environment (see the README's configuration table), e.g.
  PORT=4000 HOST=127.0.0.1        where to listen
  DATABASE_URL=postgresql://...   a PostgreSQL server; without it an embedded database in DATA_DIR
  DATA_DIR=./data                 the embedded database, the encryption key
  LOG_LEVEL=info
On the first start of an empty embedded database it creates a Demo organization and prints its key
once. SIGTERM or SIGINT stops it gracefully. Exit code 2: a configuration or start-up problem
(printed as one line).`;

/** Stops the process with one line on stderr and exit code 2: an expected problem, not a crash. */
function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) refuse(error.message);
    throw error;
  }
}

/** The cheap checks, in the order of their cost; each throws a StartupProblem. */
async function checkBeforeStart(config: Config): Promise<void> {
  await checkPortFree(config.host, config.port);
  if (config.metricsPort !== undefined) await checkPortFree(config.host, config.metricsPort);
  if (config.databaseUrl) await checkDatabaseReachable(config.databaseUrl);
  else await checkDataDirFree(config.dataDir);
}

async function listen(switchboard: Switchboard, config: Config): Promise<AddressInfo> {
  const { httpServer } = switchboard.app;
  // The WebSocket server re-emits the HTTP server's errors as "Internal error" noise with a stack;
  // a listen error is reported here, once, so its listeners rejoin only after listening succeeded.
  const others = httpServer.listeners("error") as ((error: Error) => void)[];
  httpServer.removeAllListeners("error");
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(config.port, config.host, () => {
        httpServer.off("error", reject);
        resolve();
      });
    });
  } finally {
    for (const listener of others) httpServer.on("error", listener);
  }
  return httpServer.address() as AddressInfo;
}

/** With METRICS_PORT: /metrics, /healthz and /readyz on their own port (checked free at start). */
async function listenForOperations(switchboard: Switchboard, config: Config, logger: Logger): Promise<void> {
  const { operationsServer } = switchboard.app;
  if (!operationsServer) return;
  try {
    await new Promise<void>((resolve, reject) => {
      operationsServer.once("error", reject);
      operationsServer.listen(config.metricsPort, config.host, () => {
        operationsServer.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    const problem = describeListenError(error, config.host, config.metricsPort!);
    if (!problem) throw error;
    await switchboard.app.drain();
    await switchboard.close();
    refuse(problem);
  }
  const address = operationsServer.address() as AddressInfo;
  logger.info({ metrics: `http://${address.address}:${address.port}/metrics` }, "metrics, liveness and readiness are served on their own port");
}

/** On the first start of an empty embedded database: the demo organization, its key printed once. */
async function seedDemo(switchboard: Switchboard, config: Config, address: AddressInfo): Promise<void> {
  if (switchboard.database.mode !== "embedded" || !config.seedDemo) return;
  const { seedDemoOrganization } = await import("./demo.ts");
  const demo = await seedDemoOrganization(switchboard.database.prisma);
  if (!demo) return;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  // Shown once, to the terminal (stderr), never in the structured log on stdout.
  process.stderr.write(
    `\n  Created organization "${demo.organizationName}" with an API key (all scopes). It is shown only this once:\n\n    ${demo.secret}\n\n` +
      `  Try: curl -s http://${host}:${address.port}/graphql -H 'content-type: application/json' \\\n` +
      `         -H 'x-api-key: ${demo.secret}' -d '{"query":"{ viewer { organization { name } scopes } }"}'\n\n`,
  );
}

/**
 * Under an npm script the parent is npm (the script `exec`s node). npm forwards SIGTERM and SIGINT,
 * but if npm itself is killed outright (SIGKILL, a crash) the server would be left orphaned holding
 * the port and DATA_DIR: it notices its new parent and stops. Only under npm: a server started with
 * `&` from a shell that then exits is meant to keep running.
 */
function stopWhenNpmGoesAway(stop: () => void): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, 1_000);
  timer.unref();
}

export async function serve(args: string[]): Promise<void> {
  const { values } = parseCommandArgs("serve", args, {});
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return;
  }
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  const started = Date.now();

  let switchboard: Switchboard | undefined;
  let starting: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
    await starting.catch(() => {}); // a start in progress finishes (or fails) before it is undone
    if (switchboard) {
      await switchboard.app.drain();
      await switchboard.close();
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  stopWhenNpmGoesAway(() => void shutdown("parent exited"));

  try {
    await checkBeforeStart(config);
    // Loaded after the checks: the server's modules (GraphQL schema, Prisma) take a while to load,
    // and a start that is refused should be refused at once.
    starting = import("./bootstrap.ts").then(({ startSwitchboard }) => startSwitchboard(config, logger)).then((started) => (switchboard = started));
    await starting;
  } catch (error) {
    if (error instanceof StartupProblem || error instanceof ConfigError) refuse(error.message);
    const problem = config.databaseUrl ? describeDatabaseError(error, config.databaseUrl) : undefined;
    if (problem) refuse(problem);
    throw error;
  }
  if (stopping) return; // a signal arrived during start-up: shutdown() closes what started

  let address: AddressInfo;
  try {
    address = await listen(switchboard!, config);
  } catch (error) {
    const problem = describeListenError(error, config.host, config.port);
    if (!problem) throw error;
    await switchboard!.close();
    refuse(problem);
  }
  logger.info(
    { url: `http://${address.address}:${address.port}/graphql`, database: switchboard!.database.mode, startupMs: Date.now() - started },
    "Switchboard is listening",
  );
  await listenForOperations(switchboard!, config, logger);
  await seedDemo(switchboard!, config, address);
}

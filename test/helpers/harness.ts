import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createApiKey, createOperatorKey } from "../../src/apikeys/service.ts";
import { startSwitchboard, type Switchboard } from "../../src/bootstrap.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { readEmbeddedLock, startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/logger.ts";
import { SANDBOX_WEBHOOK_SECRET, TELNYX_PUBLIC_KEY } from "./webhooks.ts";
import { runCli } from "./processes.ts";
import { createScratchDatabase as createServerDatabase } from "./scratch-database.ts";

/**
 * One Switchboard per test run, on one database: the embedded PGlite in a temporary DATA_DIR by
 * default, or a fresh database on the PostgreSQL server of TEST_DATABASE_URL when
 * TEST_TARGET=postgres. Tests isolate themselves by creating an organization each.
 */
export interface TestEnvironment {
  switchboard: Switchboard;
  config: Config;
  target: "embedded" | "postgres";
  /** Every SQL statement the server ran, in order (tests read slices of it). */
  statements: string[];
  /** Every log line at level error or above, as JSON text. */
  errorLogs: string[];
  /** The settings (environment variables) the run's server was configured with. */
  settings: Record<string, string>;
  /** The server on a real port (started on first use). */
  url(): Promise<string>;
}

let environment: Promise<TestEnvironment> | undefined;
const cleanups: Array<() => Promise<void>> = [];

export function testTarget(): "embedded" | "postgres" {
  return process.env.TEST_TARGET === "postgres" ? "postgres" : "embedded";
}

/** A fresh, empty database on TEST_DATABASE_URL's server; dropped when the run ends. */
export async function createScratchDatabase(prefix: string): Promise<string> {
  const baseUrl = process.env.TEST_DATABASE_URL;
  if (!baseUrl) throw new Error("TEST_DATABASE_URL is not set");
  const scratch = await createServerDatabase(baseUrl, `${prefix}_${process.pid}_${randomBytes(3).toString("hex")}`);
  cleanups.push(scratch.drop);
  return scratch.url;
}

let template: Promise<string> | undefined;

/**
 * An embedded database with every migration applied and nothing else, made once per run (PGlite's
 * initdb and the migrations take seconds, several times that on a busy machine), then stopped.
 */
function embeddedTemplate(): Promise<string> {
  return (template ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "switchboard-template-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const embedded = await startEmbeddedPostgres(dir);
    try {
      await migrateDatabase(embedded.url, createLogger("silent"));
    } finally {
      await embedded.stop();
    }
    return embedded.dataDir;
  })());
}

/**
 * A fresh DATA_DIR, removed when the run ends. On the embedded target it holds a copy of the
 * migrated template database, so a server (in this process or its own) starts as on an existing
 * DATA_DIR; tests of the very first start make their own empty one (first-start.test.ts).
 */
export async function createDataDir(prefix: string): Promise<string> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `${prefix}-`));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  if (testTarget() === "embedded") await cp(await embeddedTemplate(), path.join(dataDir, "pglite"), { recursive: true });
  return dataDir;
}

async function start(): Promise<TestEnvironment> {
  const target = testTarget();
  const dataDir = await createDataDir("switchboard-test");
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    JWT_SECRET: "test-jwt-secret-that-is-at-least-32-characters",
    JWT_ISSUER: "https://issuer.test",
    JWT_AUDIENCE: "switchboard-test",
    SEED_DEMO: "false",
    // Carrier faults in tests: short deadlines, a circuit that recovers quickly, no background polling
    // (tests run the order job themselves).
    CARRIER_TIMEOUT_MS: "300",
    CARRIER_BREAKER_HALF_OPEN_MS: "200",
    ORDER_POLL_SECONDS: "3600",
    // Billing: tests run the job themselves with the clock moved (test/billing.test.ts).
    BILLING_POLL_SECONDS: "3600",
    // The message outbox: quick polls and short backoffs, so retries settle within a test.
    MESSAGE_SEND_POLL_SECONDS: "0.1",
    MESSAGE_SEND_RETRY_MS: "20",
    MESSAGE_SEND_MAX_ATTEMPTS: "4",
    // The sandbox's own delivery reports are off: tests post statuses themselves, or switch reports
    // on for their messages (test/sandbox-messages.test.ts).
    SANDBOX_DELIVERY_DELAY_MS: "off",
    // Carrier webhooks: tests sign deliveries with the matching keys (helpers/webhooks.ts).
    TELNYX_PUBLIC_KEY,
    SANDBOX_WEBHOOK_SECRET,
    WEBHOOK_TOLERANCE_SECONDS: "300",
    // Every test client shares one address (and one in-process "unknown"), and the auth tests send
    // bad keys on purpose: the address budget is tested on its own server (abuse.test.ts).
    RATE_LIMIT_AUTH_FAILURES: "1000000",
    // Customer webhooks: tests receive on local http and run the deliverer themselves, with the clock moved.
    WEBHOOK_ALLOW_LOOPBACK: "true",
    WEBHOOK_POLL_SECONDS: "3600",
    WEBHOOK_TIMEOUT_MS: "500",
  };
  if (target === "postgres") env.DATABASE_URL = await createScratchDatabase("switchboard_test");
  const config = loadConfig(env);
  const statements: string[] = [];
  // Error lines are kept for tests to read (an explicit LOG_LEVEL prints everything to stdout instead).
  const errorLogs: string[] = [];
  const logger = process.env.LOG_LEVEL ? createLogger(config.logLevel) : createLogger("error", { write: (line: string) => void errorLogs.push(line) });
  const switchboard = await startSwitchboard(config, logger, { onQuery: (sql) => statements.push(sql) });
  let listening: Promise<string> | undefined;
  cleanups.unshift(async () => {
    if (listening) await switchboard.app.drain();
    await switchboard.close();
  });
  return {
    switchboard,
    config,
    target,
    statements,
    errorLogs,
    settings: env,
    url: () =>
      (listening ??= new Promise<string>((resolve) => {
        switchboard.app.httpServer.listen(0, "127.0.0.1", () => {
          const { port } = switchboard.app.httpServer.address() as AddressInfo;
          resolve(`http://127.0.0.1:${port}`);
        });
      })),
  };
}

export function getEnvironment(): Promise<TestEnvironment> {
  return (environment ??= start());
}

export interface VariantServer {
  switchboard: Switchboard;
  config: Config;
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

/**
 * Another Switchboard in this process, with some settings changed (a limit, the carrier), listening
 * on a loopback port: for configuration variants, where a server process of its own would only
 * cost a start (tsx, the database, migrations) and nothing is tested about the process. Keep
 * real processes where the process is the point (kill -9, signals, several instances).
 *
 * `database: "shared"` (the default) runs it on the run's database, as a second instance: its jobs
 * poll once an hour unless `settings` say otherwise (each still runs once at start, as on every
 * instance, over whatever other tests left), and it has a DATA_DIR of its own (the sandbox
 * carrier's state). `database: "own"` gives it a fresh one
 * (a new embedded database, or a scratch database on the postgres target): for settings that
 * would touch everything in a shared one (another carrier with its order job running).
 */
export async function startVariant(settings: Record<string, string>, options: { database?: "shared" | "own" } = {}): Promise<VariantServer> {
  const env = await getEnvironment();
  const dataDir = options.database === "own" ? await createDataDir("switchboard-variant") : await mkdtemp(path.join(tmpdir(), "switchboard-variant-"));
  if (options.database !== "own") cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  let database: Record<string, string>;
  if (options.database === "own") {
    database = { DATABASE_URL: env.target === "postgres" ? await createScratchDatabase("switchboard_variant") : "" };
  } else if (env.target === "postgres") {
    database = { DATABASE_URL: env.config.databaseUrl! };
  } else {
    // The run's embedded database, through its loopback port (with the password its lock holds);
    // one connection, as the embedded database wants.
    const lock = await readEmbeddedLock(env.config.dataDir);
    if (!lock) throw new Error("the test run's embedded database has no lock file");
    database = { DATABASE_URL: lock.url, DATABASE_POOL_SIZE: "1" };
  }
  const quietJobs = options.database === "own" ? {} : { ORDER_POLL_SECONDS: "3600", BILLING_POLL_SECONDS: "3600", MESSAGE_SEND_POLL_SECONDS: "3600", WEBHOOK_POLL_SECONDS: "3600", NOTIFICATION_POLL_SECONDS: "3600" };
  const config = loadConfig({ ...env.settings, ...quietJobs, DATA_DIR: dataDir, ...database, ...settings });
  const switchboard = await startSwitchboard(config, createLogger(process.env.LOG_LEVEL ? config.logLevel : "silent"));
  const httpServer = switchboard.app.httpServer;
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await switchboard.app.drain();
      await switchboard.close();
    })());
  cleanups.unshift(close);
  return { switchboard, config, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, close };
}

/** Stops the server and removes what the run created. */
export async function closeEnvironment(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch((error) => console.error("cleanup failed:", error));
}

export interface GraphQLResponse<T> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }>;
}

/** What a Client calls: the test run's server, or only a URL (a server process of its own, over HTTP). */
type ClientTarget = Pick<TestEnvironment, "url"> & Partial<Pick<TestEnvironment, "switchboard">>;

/** A client of the API with given headers, calling the server in-process (yoga.fetch) or over HTTP. */
export class Client {
  constructor(
    private readonly env: ClientTarget,
    readonly headers: Record<string, string>,
    private readonly transport: "in-process" | "http" = "in-process",
  ) {}

  async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
  ): Promise<GraphQLResponse<TResult>> {
    const init = {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...this.headers },
      body: JSON.stringify({ query: print(document), variables }),
    };
    const inProcess = this.transport === "in-process" ? this.env.switchboard : undefined;
    if (this.transport === "in-process" && !inProcess) throw new Error("an in-process client needs the test run's server");
    const response = inProcess
      ? await inProcess.app.yoga.fetch("http://switchboard.test/graphql", init)
      : await fetch(`${await this.env.url()}/graphql`, init);
    const body = (await response.json()) as { data?: TResult; errors?: GraphQLResponse<TResult>["errors"] };
    return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
  }

  /** The data of a request that must succeed without GraphQL errors. */
  async data<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...variables: TVariables extends Record<string, never> ? [] : [TVariables]
  ): Promise<TResult> {
    const result = await this.request(document, ...variables);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL request failed (${result.status}): ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }

  overHttp(): Client {
    return new Client(this.env, this.headers, "http");
  }
}

export interface TestOrganization {
  id: string;
  name: string;
  secret: string;
  client: Client;
  /** A client whose key holds only these scopes. */
  clientWithScopes(scopes: string[]): Promise<Client>;
}

let organizations = 0;

/** A fresh organization with an all-scopes key: every test's clean slate. */
export async function createOrganization(name = "org"): Promise<TestOrganization> {
  const env = await getEnvironment();
  const prisma = env.switchboard.database.prisma;
  const organization = await prisma.organization.create({ data: { name: `${name}-${process.pid}-${++organizations}-${randomBytes(3).toString("hex")}` } });
  const keyFor = async (scopes: string[]) =>
    (await createApiKey(prisma, organization.id, { name: `test ${scopes.join(" ")}`, scopes, mode: "LIVE" })).secret;
  const secret = await keyFor(["*"]);
  return {
    id: organization.id,
    name: organization.name,
    secret,
    client: new Client(env, { "x-api-key": secret }),
    clientWithScopes: async (scopes) => new Client(env, { "x-api-key": await keyFor(scopes) }),
  };
}

export interface TestOperator {
  /** The operator key's id. */
  id: string;
  secret: string;
  client: Client;
}

/**
 * A platform operator key (what `npm run apikey -- create --operator` makes): no organization,
 * verification:review across organizations, nothing else.
 */
export async function createOperator(name = "test operator"): Promise<TestOperator> {
  const env = await getEnvironment();
  const { apiKey, secret } = await createOperatorKey(env.switchboard.database.prisma, { name });
  return { id: apiKey.id, secret, client: new Client(env, { "x-api-key": secret }) };
}

/** A client with arbitrary headers (for authentication tests). */
export async function clientWithHeaders(headers: Record<string, string>): Promise<Client> {
  return new Client(await getEnvironment(), headers);
}

/** A client of a server process of its own (processEnvironment, startServerProcess), over HTTP. */
export function processClient(url: string, apiKey: string): Client {
  return new Client({ url: async () => url }, { "x-api-key": apiKey }, "http");
}

/** Runs `action` and returns the SQL statements the server ran meanwhile. */
export async function statementsDuring(action: () => Promise<unknown>): Promise<string[]> {
  const env = await getEnvironment();
  const start = env.statements.length;
  await action();
  return env.statements.slice(start);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  // Untyped on purpose: these documents are hostile, generated or deliberately odd.
  body: { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> };
}

/**
 * An untyped GraphQL request in-process, for documents that codegen should not type (limit and
 * abuse cases). `auth` is an API key secret or the headers to send; `rawVariables` is sent as
 * JSON text as it is (for values JavaScript's JSON.stringify cannot write, such as very deep ones).
 */
export async function sendRaw(auth: string | Record<string, string>, query: string, variables?: unknown, rawVariables?: string): Promise<RawResponse> {
  const env = await getEnvironment();
  const response = await env.switchboard.app.yoga.fetch("http://switchboard.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(typeof auth === "string" ? { "x-api-key": auth } : auth) },
    body: rawVariables === undefined ? JSON.stringify({ query, variables }) : `{"query":${JSON.stringify(query)},"variables":${rawVariables}}`,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as RawResponse["body"] };
}

/**
 * The environment of a server process of its own (kill -9 tests): a fresh DATA_DIR (createDataDir), and on the
 * postgres target a fresh scratch database, migrated; both removed when the run ends.
 */
export async function processEnvironment(prefix: string, settings: Record<string, string>): Promise<Record<string, string>> {
  const dataDir = await createDataDir(prefix);
  const databaseUrl = testTarget() === "postgres" ? await createScratchDatabase(prefix.replaceAll("-", "_")) : "";
  const env = { DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ENCRYPTION_KEY: databaseUrl ? randomBytes(32).toString("hex") : "", SEED_DEMO: "false", ...settings };
  if (databaseUrl) {
    const migrated = await runCli(["migrate"], env);
    if (migrated.code !== 0) throw new Error(`migrating ${prefix} failed: ${migrated.stderr}`);
  }
  return env;
}

/** An all-scopes key of a new organization, made with the apikey CLI as an operator would. */
export async function organizationKeyFromCli(organization: string, env: Record<string, string>): Promise<string> {
  const created = await runCli(["apikey", "create", "--org", organization, "--create-org"], env);
  if (created.code !== 0) throw new Error(`apikey create failed: ${created.stderr}`);
  return created.stdout.trim();
}

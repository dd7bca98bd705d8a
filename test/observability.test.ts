import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import type { Plugin } from "graphql-yoga";
import WebSocket from "ws";
import type { Config } from "../src/config.ts";
import { createDatabaseClients } from "../src/db/client.ts";
import { createEventBus } from "../src/events/pubsub.ts";
import { RateLimits } from "../src/limits/rate-limits.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/observability/metrics.ts";
import { startTracing } from "../src/observability/tracing.ts";
import { createApp, type App } from "../src/server.ts";
import type { Services } from "../src/services.ts";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";
import { waitFor } from "./helpers/processes.ts";
import { wsClient } from "./helpers/subscriptions.ts";

/** An app of its own in this process (its own metrics, its log lines collected) on a real port. */
interface ObservedApp {
  app: App;
  url: string;
  /** The operations port, when the app has one (METRICS_PORT). */
  opsUrl?: string;
  lines: string[];
  logs(): Array<Record<string, unknown>>;
}

const started: App[] = [];
after(async () => {
  for (const app of started.splice(0)) await app.drain();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function observedApp(options: { config?: Partial<Config>; services?: Partial<Services>; sql?: ReturnType<typeof createDatabaseClients>["sql"]; tracingPlugins?: Plugin[] } = {}): Promise<ObservedApp> {
  const env = await getEnvironment();
  const lines: string[] = [];
  const app = createApp({
    config: { ...env.config, ...options.config },
    prisma: env.switchboard.database.prisma,
    sql: options.sql ?? env.switchboard.database.sql,
    services: { ...env.switchboard.services, ...options.services },
    logger: createLogger("info", { write: (line: string) => void lines.push(line) }),
    metrics: new Metrics(),
    tracingPlugins: options.tracingPlugins,
  });
  started.push(app);
  const url = await listen(app.httpServer);
  const opsUrl = app.operationsServer ? await listen(app.operationsServer) : undefined;
  return { app, url, opsUrl, lines, logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  return response.text();
}

/** A sample's value in a Prometheus text scrape (0 when the series is absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present: string[] = (match[2] ?? "").match(/\w+="(?:[^"\\]|\\.)*"/g) ?? [];
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return 0;
}

/** A TCP port nothing listens on (it was open a moment ago): a database or Redis that is gone. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("Observability", () => {
  describe("liveness and readiness", () => {
    test("/healthz and its alias /health answer 200 without credentials; /readyz checks the database", async () => {
      const { url } = await observedApp();
      for (const path of ["/healthz", "/health"]) {
        const response = await fetch(`${url}${path}`);
        assert.equal(response.status, 200, path);
        assert.deepEqual(await response.json(), { status: "ok" });
      }
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: "ready", checks: { database: "ok" } });
    });

    test("/readyz is 503 naming the database when it is gone, and never shows where it was", async () => {
      const port = await closedPort();
      const gone = createDatabaseClients(`postgresql://switchboard:s3cret-password@127.0.0.1:${port}/gone`, 1);
      try {
        const { url } = await observedApp({ sql: gone.sql });
        const response = await fetch(`${url}/readyz`);
        assert.equal(response.status, 503);
        const text = await response.text();
        assert.deepEqual(JSON.parse(text), { status: "unavailable", checks: { database: "unreachable" } });
        assert.doesNotMatch(text, /s3cret|switchboard:|127\.0\.0\.1|gone/);
        // Liveness does not depend on the database.
        assert.equal((await fetch(`${url}/healthz`)).status, 200);
      } finally {
        await gone.pool.end();
      }
    });

    test("with REDIS_URL, /readyz checks Redis too: 503 naming redis when it does not answer", async () => {
      const bus = createEventBus(`redis://127.0.0.1:${await closedPort()}`, createLogger("silent"));
      try {
        const { url } = await observedApp({ services: { bus } });
        const response = await fetch(`${url}/readyz`);
        assert.equal(response.status, 503);
        assert.deepEqual(await response.json(), { status: "unavailable", checks: { database: "ok", redis: "unreachable" } });
      } finally {
        await bus.close();
      }
    });

    test("with a Redis that answers, /readyz is ready", { skip: !process.env.TEST_REDIS_URL && "TEST_REDIS_URL is not set" }, async () => {
      const bus = createEventBus(process.env.TEST_REDIS_URL!, createLogger("silent"));
      try {
        const { url } = await observedApp({ services: { bus } });
        const body = await waitFor("Redis to connect", async () => (await fetch(`${url}/readyz`)).json(), (value: any) => value.status === "ready", 10_000);
        assert.deepEqual(body, { status: "ready", checks: { database: "ok", redis: "ok" } });
      } finally {
        await bus.close();
      }
    });
  });

  describe("metrics", () => {
    test("per-operation counts and latency, errors by code and refusals, on this app's own registry", async () => {
      const env = await getEnvironment();
      const org = await createOrganization("metrics");
      // A key budget of 30 cost points: the fourth request of at least 10 points is refused.
      const rateLimits = new RateLimits({ ...env.config.rateLimits, keyPoints: 30, organizationPoints: 1_000_000 }, createLogger("silent"));
      const { url } = await observedApp({ services: { rateLimits } });
      const key = { "x-api-key": org.secret };
      for (let i = 0; i < 2; i++) assert.equal((await post(url, { query: "query WhoAmI { viewer { scopes } }" }, key)).status, 200);
      const unauthenticated = await post(url, { query: "query WhoAmI { viewer { scopes } }" });
      assert.equal(unauthenticated.status, 401);
      const tooCostly = await post(url, { query: "query Everything { phoneNumbers(first: 100) { edges { node { agent { phoneNumbers(first: 100) { edges { node { id } } } } } } } }" }, key);
      assert.equal(tooCostly.body.errors?.[0]?.extensions?.code, "COST_LIMIT_EXCEEDED");
      let limited;
      for (let i = 0; i < 5 && limited?.status !== 429; i++) limited = await post(url, { query: "query WhoAmI { viewer { scopes } }" }, key);
      assert.equal(limited?.status, 429);

      const text = await scrape(url);
      assert.ok(sample(text, "graphql_envelop_request", { operationName: "WhoAmI", operationType: "query" }) >= 2);
      assert.ok(sample(text, "graphql_envelop_request_duration_count", { operationName: "WhoAmI", operationType: "query" }) >= 2);
      assert.ok(sample(text, "graphql_envelop_request_duration_bucket", { operationName: "WhoAmI", le: "+Inf" }) >= 2);
      assert.equal(sample(text, "graphql_yoga_http_duration_count", { operationName: "WhoAmI", statusCode: "401" }), 1);
      assert.equal(sample(text, "switchboard_graphql_errors_total", { code: "UNAUTHENTICATED" }), 1);
      assert.equal(sample(text, "switchboard_graphql_errors_total", { operation_name: "Everything", operation_type: "query", code: "COST_LIMIT_EXCEEDED" }), 1);
      assert.equal(sample(text, "switchboard_refusals_total", { code: "COST_LIMIT_EXCEEDED" }), 1);
      assert.equal(sample(text, "switchboard_refusals_total", { code: "RATE_LIMITED", budget: "KEY" }), 1);
      for (const outbox of ["messages", "webhook_deliveries", "reviewer_notifications", "charges", "number_orders"]) {
        assert.match(text, new RegExp(`^switchboard_outbox_pending\\{outbox="${outbox}"\\} \\d+$`, "m"), outbox);
      }
      // Organization-free: no organization id or key reaches a label.
      assert.ok(!text.includes(org.id) && !text.includes(org.secret));
    });

    test("the server's metrics show carrier calls, the breaker, job runs and subscriptions going up and down", async () => {
      const env = await getEnvironment();
      const url = await env.url();
      const org = await createOrganization("metrics-live");
      const before = await scrape(url);
      const search = await post(url, { query: 'query Search { availablePhoneNumbers(areaCode: "415") { e164 } }' }, { "x-api-key": org.secret });
      assert.equal(search.status, 200, JSON.stringify(search.body));
      const afterSearch = await scrape(url);
      const calls = (text: string) => sample(text, "switchboard_carrier_call_duration_seconds_count", { carrier: "sandbox", operation: "searchAvailable", outcome: "ok" });
      assert.equal(calls(afterSearch), calls(before) + 1);
      assert.equal(sample(afterSearch, "switchboard_carrier_breaker_state", { carrier: "sandbox" }), 0);
      // The message sender polls every 0.1 s in tests: its runs are counted.
      assert.ok(sample(afterSearch, "switchboard_job_run_duration_seconds_count", { job: "message sender", outcome: "ok" }) > 0);

      const open = async () => sample(await scrape(url), "switchboard_active_subscriptions");
      const baseline = await open();
      const client = wsClient(url, { "x-api-key": org.secret });
      const events = client.iterate({ query: "subscription Watch { phoneNumberSetupStatusChanged { __typename } }" });
      void events.next().catch(() => {});
      await waitFor("the subscription to count", open, (count) => count === baseline + 1, 10_000);
      await events.return?.();
      await waitFor("the subscription to end", open, (count) => count === baseline, 10_000);
      await client.dispose();
    });

    test("charges sent to the payment provider are timed, and its declines counted", async () => {
      const env = await getEnvironment();
      const url = await env.url();
      const { billing, payments } = env.switchboard.services;
      const org = await createOrganization("metrics-payments");
      const buy = async () => {
        const bought = await post(url, { query: 'mutation Buy { provisionPhoneNumber(input: { areaCode: "303" }) { __typename } }' }, { "x-api-key": org.secret });
        assert.equal(bought.body.data?.provisionPhoneNumber.__typename, "ProvisionPhoneNumberSuccess", JSON.stringify(bought.body));
      };
      const charged = (text: string, outcome: string) => sample(text, "switchboard_payment_call_duration_seconds_count", { provider: "sandbox", outcome });
      const declined = (text: string) => sample(text, "switchboard_payment_call_failures_total", { provider: "sandbox", outcome: "failed" });
      await billing.runDue(); // whatever other tests left due is charged first
      const before = await scrape(url);
      await buy();
      await billing.runDue();
      const afterCharge = await scrape(url);
      assert.ok(charged(afterCharge, "succeeded") >= charged(before, "succeeded") + 1);
      assert.ok(sample(afterCharge, "switchboard_carrier_call_duration_seconds_count", { carrier: "sandbox", operation: "placeOrder", outcome: "ok" }) >= 1);
      try {
        payments.sandbox.switches.declineNext = 1;
        await buy();
        await billing.runDue();
      } finally {
        payments.sandbox.switches.declineNext = 0;
      }
      assert.equal(declined(await scrape(url)), declined(afterCharge) + 1);
    });

    test("with METRICS_PORT, /metrics, /healthz and /readyz are served there and /metrics leaves the public port", async () => {
      const org = await createOrganization("metrics-port");
      const { url, opsUrl } = await observedApp({ config: { metricsPort: 0 } });
      assert.ok(opsUrl);
      assert.equal((await post(url, { query: "query Separate { viewer { scopes } }" }, { "x-api-key": org.secret })).status, 200);
      assert.equal((await fetch(`${url}/metrics`)).status, 404);
      assert.equal(sample(await scrape(opsUrl), "graphql_envelop_request", { operationName: "Separate" }), 1);
      assert.equal((await fetch(`${opsUrl}/healthz`)).status, 200);
      assert.equal((await fetch(`${opsUrl}/readyz`)).status, 200);
      assert.equal((await fetch(`${opsUrl}/graphql`)).status, 404, "the operations port serves no API");
      assert.equal((await fetch(`${url}/healthz`)).status, 200, "liveness stays on the public port");
    });
  });

  describe("request ids and the request log", () => {
    test("one line per operation with its request id, organization, operation, duration, outcome and status; no secret", async () => {
      const org = await createOrganization("request-log");
      const { url, logs, lines } = await observedApp();
      const given = await post(
        url,
        { query: "query Mine($password: String) { viewer { scopes } phoneNumbers(first: 1, filter: { text: $password }) { totalCount } }", variables: { password: "hunter2-variable-secret" } },
        { "x-api-key": org.secret, "x-request-id": "client-req-42", cookie: "session=cookie-secret" },
      );
      assert.equal(given.status, 200);
      assert.equal(given.headers.get("x-request-id"), "client-req-42");
      const line = logs().find((entry) => entry.requestId === "client-req-42");
      assert.ok(line, lines.join("\n"));
      assert.equal(line.msg, "graphql operation");
      assert.equal(line.level, 30);
      assert.equal(line.org, org.id, JSON.stringify(line));
      assert.equal(line.operationName, "Mine");
      assert.equal(line.operationType, "query");
      assert.equal(line.outcome, "ok");
      assert.equal(line.status, 200);
      assert.equal(line.transport, "http");
      assert.equal(typeof line.durationMs, "number");

      const generated = await post(url, { query: "query Anonymous { viewer { scopes } }" }, { "x-api-key": org.secret });
      const id = generated.headers.get("x-request-id") ?? "";
      assert.match(id, UUID);
      assert.equal(logs().find((entry) => entry.requestId === id)?.operationName, "Anonymous", lines.join("\n"));

      const refused = await post(url, { query: "query Nobody { viewer { scopes } }" }, { "x-api-key": "sb_live_not-a-real-key", "x-request-id": "refused-1" });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get("x-request-id"), "refused-1");
      const refusedLine = logs().find((entry) => entry.requestId === "refused-1");
      assert.deepEqual([refusedLine?.operationName, refusedLine?.outcome, refusedLine?.status, refusedLine?.org], ["Nobody", "UNAUTHENTICATED", 401, undefined]);

      // Every line a request writes carries its id: here the limits' refusal line.
      await post(url, { query: "{ phoneNumbers(first: 100) { edges { node { agent { phoneNumbers(first: 100) { edges { node { id } } } } } } } }" }, { "x-api-key": org.secret, "x-request-id": "costly-1" });
      assert.deepEqual(
        logs().filter((entry) => entry.requestId === "costly-1").map((entry) => [entry.msg === "graphql operation" ? "operation" : entry.code, entry.org]),
        [["COST_LIMIT_EXCEEDED", org.id], ["operation", org.id]],
      );

      const everything = lines.join("\n");
      for (const secret of [org.secret, "sb_live_not-a-real-key", "hunter2-variable-secret", "cookie-secret"]) assert.ok(!everything.includes(secret), `${secret} reached the log`);
    });

    test("an x-request-id that is not a sane token is replaced by a generated one", async () => {
      const org = await createOrganization("request-id");
      const { url } = await observedApp();
      for (const insane of ["has spaces in it", "x".repeat(129), 'quote"injection', "semi;colon", "<script>"]) {
        const response = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": org.secret, "x-request-id": insane },
          body: JSON.stringify({ query: "{ viewer { scopes } }" }),
        });
        assert.match(response.headers.get("x-request-id") ?? "", UUID, insane);
      }
    });

    test("responses outside GraphQL carry the id too: 413, webhooks, and their own log line", async () => {
      const { url, logs } = await observedApp({ config: { maxBodyBytes: 1_024 } });
      const tooLarge = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "big-body" },
        body: JSON.stringify({ query: `{ __typename } # ${"x".repeat(2_000)}` }),
      });
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.headers.get("x-request-id"), "big-body");
      const webhook = await fetch(`${url}/webhooks/sandbox`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "hook-1" }, body: "{}" });
      assert.equal(webhook.status, 401, "an unsigned delivery is refused");
      assert.equal(webhook.headers.get("x-request-id"), "hook-1");
      await waitFor("the log lines", async () => logs(), (entries) => entries.some((e) => e.requestId === "hook-1") && entries.some((e) => e.requestId === "big-body"), 5_000);
      const lines = logs();
      assert.deepEqual(
        lines.filter((e) => e.requestId === "hook-1").map((e) => [e.msg, e.path, e.status]),
        [["request", "/webhooks/sandbox", 401]],
      );
      assert.deepEqual(
        lines.filter((e) => e.requestId === "big-body").map((e) => [e.msg, e.status]),
        [["request", 413]],
      );
    });

    test("WebSocket operations are logged with their connection's id, echoed on the upgrade", async () => {
      const org = await createOrganization("ws-log");
      const { url, logs } = await observedApp();
      const upgraded = await new Promise<string | undefined>((resolve, reject) => {
        const socket = new WebSocket(`${url.replace("http", "ws")}/graphql`, "graphql-transport-ws", { headers: { "x-request-id": "ws-conn-1" } });
        socket.once("upgrade", (response) => {
          resolve(response.headers["x-request-id"] as string | undefined);
          socket.close();
        });
        socket.once("error", reject);
      });
      assert.equal(upgraded, "ws-conn-1");
      const client = wsClient(url, { "x-api-key": org.secret });
      try {
        const result = await client.iterate({ query: "query OverSocket { viewer { scopes } }" }).next();
        assert.ok(!result.done && result.value.data);
      } finally {
        await client.dispose();
      }
      const line = await waitFor("the WebSocket line", async () => logs().find((e) => e.operationName === "OverSocket"), Boolean, 5_000);
      assert.deepEqual([line!.transport, line!.org, line!.outcome, line!.operationType], ["ws", org.id, "ok", "query"]);
      assert.match(String(line!.requestId), UUID);
    });
  });

  describe("OpenTelemetry", () => {
    test("with an OTLP endpoint, a span per operation reaches the collector with the operation's name", async () => {
      const received: any[] = [];
      const collector = createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          if (req.url === "/v1/traces") received.push(JSON.parse(body));
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        });
      });
      const collectorUrl = await listen(collector);
      const tracing = await startTracing({ url: `${collectorUrl}/v1/traces`, serviceName: "switchboard-test" }, createLogger("silent"));
      try {
        const org = await createOrganization("tracing");
        const { url } = await observedApp({ tracingPlugins: [tracing.plugin] });
        assert.equal((await post(url, { query: "query Traced { viewer { scopes } }" }, { "x-api-key": org.secret })).status, 200);
        assert.equal((await post(url, { query: "query TracedTooCostly { phoneNumbers(first: 100) { edges { node { agent { phoneNumbers(first: 100) { edges { node { id } } } } } } } }" }, { "x-api-key": org.secret })).status, 200);
        await tracing.shutdown(); // exports what is buffered
        const spans = received.flatMap((body) =>
          body.resourceSpans.flatMap((resource: any) =>
            resource.scopeSpans.flatMap((scope: any) => scope.spans.map((span: any) => ({ service: resource.resource.attributes.find((a: any) => a.key === "service.name")?.value.stringValue, ...span }))),
          ),
        );
        const attribute = (span: any, key: string) => span.attributes.find((a: any) => a.key === key)?.value.stringValue;
        const traced = spans.find((span) => span.name === "query Traced");
        assert.ok(traced, JSON.stringify(spans.map((span) => span.name)));
        assert.equal(traced.service, "switchboard-test");
        assert.equal(attribute(traced, "graphql.operation.name"), "Traced");
        assert.equal(attribute(traced, "graphql.operation.type"), "query");
        const refused = spans.find((span) => span.name === "query TracedTooCostly");
        assert.equal(refused?.status?.code, 2, "a refused operation's span is marked failed");
        assert.equal(attribute(refused, "graphql.error.codes"), "COST_LIMIT_EXCEEDED");
      } finally {
        await tracing.shutdown();
        collector.close();
      }
    });
  });
});

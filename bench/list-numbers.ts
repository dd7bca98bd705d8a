// Load benchmark of the main read path: `phoneNumbers(first: 50)` with each number's agent, the
// agent's first numbers and the setup status, over real HTTP on loopback, with autocannon.
//   npm run bench                      embedded PGlite in a temporary DATA_DIR
//   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench
//                                      a scratch database on that PostgreSQL server (dropped after)
// Options: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 10), BENCH_NUMBERS (default 1000).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { createApiKey } from "../src/apikeys/service.ts";
import { startSwitchboard } from "../src/bootstrap.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { createScratchDatabase } from "../test/helpers/scratch-database.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const numberCount = Number(process.env.BENCH_NUMBERS ?? 1000);
const serverUrl = process.env.BENCH_DATABASE_URL;

const QUERY = `query Bench { phoneNumbers(first: 50) { totalCount edges { node { e164 label agent { name phoneNumbers(first: 5) { totalCount } } setupStatus { status issues { code } } } } } }`;

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-bench-"));
  let dropDatabase: (() => Promise<void>) | undefined;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    // The benchmark measures serving, not the rate limiter's refusals: one key may spend without bound.
    RATE_LIMIT_KEY_POINTS: "1000000000",
    RATE_LIMIT_ORG_POINTS: "1000000000",
  };
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, `switchboard_bench_${process.pid}`);
    env.DATABASE_URL = scratch.url;
    dropDatabase = scratch.drop;
  }
  const config = loadConfig(env);
  const startedAt = performance.now();
  const switchboard = await startSwitchboard(config, createLogger("warn"));
  const startupMs = performance.now() - startedAt;
  const { prisma } = switchboard.database;

  const organization = await prisma.organization.create({ data: { name: "bench" } });
  const { secret } = await createApiKey(prisma, organization.id, { name: "bench", scopes: ["*"], mode: "LIVE" });
  const agents = await Promise.all(
    Array.from({ length: Math.max(1, numberCount / 10) }, (_, i) => prisma.agent.create({ data: { organizationId: organization.id, name: `Agent ${i}` } })),
  );
  await prisma.phoneNumber.createMany({
    data: Array.from({ length: numberCount }, (_, i) => ({
      organizationId: organization.id,
      e164: `+1415${String(2_000_000 + i)}`,
      label: `Line ${i % 37}`,
      country: "US",
      source: "MANUAL" as const,
      status: "ACTIVE" as const,
      agentId: agents[i % agents.length]!.id,
    })),
  });

  const server = switchboard.app.httpServer;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // This process's CPU (server and load generator together; PostgreSQL's is not counted) per request.
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": secret },
    body: JSON.stringify({ query: QUERY }),
    connections,
    duration: seconds,
  });
  const cpu = process.cpuUsage(cpuBefore);
  // Requests still in flight when the load stopped finish before the database closes.
  await switchboard.app.drain();
  await switchboard.close();
  await dropDatabase?.();
  await rm(dataDir, { recursive: true, force: true });

  const summary = {
    database: serverUrl ? "postgresql" : "embedded (PGlite)",
    numbers: numberCount,
    connections,
    seconds,
    startupMs: Math.round(startupMs),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    requestsPerSecond: result.requests.average,
    cpuMsPerRequest: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, result.requests.total)).toFixed(2)),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  };
  console.log(JSON.stringify(summary, null, 2));
  if (result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

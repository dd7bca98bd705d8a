// Load benchmark of issue 11: Switchboard's main list read against a plain reference server
// (bench/reference-server.ts) over one deterministic data set on PostgreSQL. Each server runs as
// its own process; autocannon drives them in turn, several rounds, so machine noise hits both.
//   npm run bench                                  1,000 agents, 10,000 numbers, 3 rounds of 10 s
//   npm run bench -- --write-results               ... and rewrite its section of bench/RESULTS.md
//   npm run bench -- --scale large [--write-results]
//                                                  1M numbers and 2M messages; page depth, text
//                                                  filter and totalCount (bench/large-scale.ts)
// Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres; a scratch
// database is created on that server and dropped after), BENCH_SECONDS (10), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (20), BENCH_AGENTS (1000), BENCH_NUMBERS (10000), BENCH_KEEP_DATABASE=1.
// PostgreSQL must run on this machine: its backends' CPU is read from /proc.
import { isDeepStrictEqual } from "node:util";
import autocannon from "autocannon";
import pg from "pg";
import { connectionOptionsFromUrl } from "../src/db/connection-options.ts";
import { createScratchDatabase } from "../test/helpers/scratch-database.ts";
import { BackendCpu, graphql, processCpuMs, StatementCounter, type ServerProcess } from "./measure.ts";
import { PAGE_AFTER, Q1, Q2, startReference, startSwitchboard } from "./servers.ts";
import { machineLines, replaceSection } from "./results-file.ts";
import { BENCH_API_KEY, migrateAndSeed } from "./seed.ts";

const args = process.argv.slice(2);
const scale = args.includes("--scale") ? args[args.indexOf("--scale") + 1] : "default";
const writeResults = args.includes("--write-results");
const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const agentCount = Number(process.env.BENCH_AGENTS ?? 1000);
const numberCount = Number(process.env.BENCH_NUMBERS ?? 10_000);
const WARMUP_SECONDS = 3;

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Case {
  id: string;
  server: "switchboard" | "reference";
  query: string;
  label: string;
}

const CASES: Case[] = [
  { id: "switchboard-q1", server: "switchboard", query: Q1, label: "Switchboard, query 1" },
  { id: "reference-q1", server: "reference", query: Q1, label: "Reference, query 1" },
  { id: "switchboard-q2", server: "switchboard", query: Q2, label: "Switchboard, query 2" },
];

interface Sample {
  requests: number;
  non2xx: number;
  errors: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  serverCpuMs: number;
  postgresCpuMs: number;
  backends: number;
}

async function drive(server: ServerProcess, backends: BackendCpu, query: string, duration: number): Promise<Sample> {
  await backends.start();
  const serverBefore = processCpuMs(server.pid)!;
  const result = await autocannon({
    url: `${server.url}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": BENCH_API_KEY },
    body: JSON.stringify({ query }),
    connections,
    duration,
  });
  const serverCpuMs = processCpuMs(server.pid)! - serverBefore;
  const postgres = await backends.stop();
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    requestsPerSecond: result.requests.total / duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpuMs,
    postgresCpuMs: postgres.cpuMs,
    backends: postgres.backends,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Both servers answer the first two pages of query 1 with the same data, Switchboard's cursor working on the reference. */
async function verifySameAnswers(switchboard: ServerProcess, reference: ServerProcess): Promise<void> {
  const [a, b] = await Promise.all([graphql(switchboard.url, BENCH_API_KEY, Q1), graphql(reference.url, BENCH_API_KEY, Q1)]);
  if (a.body.errors || b.body.errors) throw new Error(`query 1 failed: ${JSON.stringify(a.body.errors ?? b.body.errors)}`);
  if (a.body.data.phoneNumbers.edges.length !== 100) throw new Error("query 1 did not return 100 numbers");
  if (!isDeepStrictEqual(a.body.data, b.body.data)) {
    const e164s = (body: any) => body.data.phoneNumbers.edges.map((edge: any) => edge.node.e164).join(",");
    throw new Error(`Switchboard and the reference answer query 1 differently (same e164 list: ${e164s(a.body) === e164s(b.body)}):\n${JSON.stringify(a.body).slice(0, 600)}\n${JSON.stringify(b.body).slice(0, 600)}`);
  }
  const cursor = a.body.data.phoneNumbers.edges.length ? (await graphql(switchboard.url, BENCH_API_KEY, PAGE_AFTER)).body.data.phoneNumbers.pageInfo.endCursor : null;
  const [c, d] = await Promise.all([
    graphql(switchboard.url, BENCH_API_KEY, PAGE_AFTER, { after: cursor }),
    graphql(reference.url, BENCH_API_KEY, PAGE_AFTER, { after: cursor }),
  ]);
  if (c.body.errors || d.body.errors || !isDeepStrictEqual(c.body.data, d.body.data)) {
    throw new Error(`the second page differs: ${JSON.stringify(c.body).slice(0, 400)}\n${JSON.stringify(d.body).slice(0, 400)}`);
  }
  const q2 = await graphql(switchboard.url, BENCH_API_KEY, Q2);
  if (q2.body.errors) throw new Error(`query 2 failed: ${JSON.stringify(q2.body.errors)}`);
}

interface StatementCount {
  perRequest: number;
  sql: string[];
}

/** SQL statements per request of each case, through a counting proxy, with servers of their own (so the measured ones never pass through it). */
async function countStatements(scratchUrl: string): Promise<Record<string, StatementCount>> {
  const options = connectionOptionsFromUrl(scratchUrl);
  const counter = new StatementCounter({ host: options.host, port: options.port });
  const port = await counter.listen();
  const proxied = new URL(scratchUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(port);
  const servers = {
    switchboard: await startSwitchboard(proxied.toString(), "bench-count-switchboard"),
    reference: await startReference(proxied.toString(), "bench-count-reference"),
  };
  const counts: Record<string, StatementCount> = {};
  try {
    for (const benchCase of CASES) {
      const server = servers[benchCase.server];
      // The first request looks the key up (cached for 5 s after), as the first of a load run does.
      await graphql(server.url, BENCH_API_KEY, benchCase.query);
      counter.reset();
      await graphql(server.url, BENCH_API_KEY, benchCase.query);
      const sql = counter.texts;
      const repeats = 5;
      counter.reset();
      for (let i = 0; i < repeats; i++) await graphql(server.url, BENCH_API_KEY, benchCase.query);
      counts[benchCase.id] = { perRequest: counter.statements / repeats, sql };
    }
  } finally {
    await Promise.all([servers.switchboard.stop(), servers.reference.stop()]);
    await counter.close();
  }
  return counts;
}

async function runDefault() {
  const databaseName = `switchboard_bench_${process.pid}`;
  const scratch = await createScratchDatabase(serverUrl, databaseName);
  const admin = new pg.Client(connectionOptionsFromUrl(serverUrl));
  await admin.connect();
  const servers: ServerProcess[] = [];
  try {
    log(`scratch database ${databaseName}`);
    await migrateAndSeed(scratch.url, [{ key: "main", agents: agentCount, numbers: numberCount }], log);

    log("counting SQL statements per request");
    const statements = await countStatements(scratch.url);

    const switchboard = await startSwitchboard(scratch.url);
    servers.push(switchboard);
    const reference = await startReference(scratch.url);
    servers.push(reference);
    await verifySameAnswers(switchboard, reference);
    log("both servers answer query 1 with the same data");

    const processes = { switchboard, reference };
    const backends = {
      switchboard: new BackendCpu(admin, databaseName, "bench-switchboard"),
      reference: new BackendCpu(admin, databaseName, "bench-reference"),
    };
    for (const benchCase of CASES) {
      log(`warm-up: ${benchCase.label} (${WARMUP_SECONDS} s)`);
      await drive(processes[benchCase.server], backends[benchCase.server], benchCase.query, WARMUP_SECONDS);
    }
    const samples: Record<string, Sample[]> = Object.fromEntries(CASES.map((c) => [c.id, []]));
    for (let r = 0; r < rounds; r++) {
      // Every other round in reverse, so no case always follows the same one.
      const order = r % 2 === 0 ? CASES : [...CASES].reverse();
      for (const benchCase of order) {
        const sample = await drive(processes[benchCase.server], backends[benchCase.server], benchCase.query, seconds);
        samples[benchCase.id]!.push(sample);
        log(
          `round ${r + 1}/${rounds} ${benchCase.label}: ${round(sample.requestsPerSecond, 0)} req/s, p99 ${sample.p99} ms, ` +
            `CPU ${round(sample.serverCpuMs / sample.requests)} + ${round(sample.postgresCpuMs / sample.requests)} ms/request`,
        );
      }
    }

    const summary = summarize(samples);
    const json = {
      scale: "default",
      agents: agentCount,
      numbers: numberCount,
      connections,
      seconds,
      rounds,
      cases: summary.cases,
      ratios: summary.ratios,
      statements,
    };
    console.log(JSON.stringify(json, null, 2));
    const markdown = renderMarkdown(summary, statements);
    log(`\n${markdown}`);
    if (writeResults) {
      replaceSection("default", [
        `## Query 1 and 2: Switchboard against the reference (${numberCount.toLocaleString("en")} numbers, ${agentCount.toLocaleString("en")} agents)`,
        "",
        ...(await machineLines(admin)),
        `- ${connections} connections, ${rounds} rounds of ${seconds} s per case (alternating, every other round reversed), after ${WARMUP_SECONDS} s of warm-up each`,
        "",
        markdown,
      ].join("\n"));
      log("bench/RESULTS.md updated");
    }
    const failed = Object.values(samples).flat().some((s) => s.non2xx > 0 || s.errors > 0);
    if (failed) {
      log("some requests failed (non-2xx or socket errors)");
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await admin.end();
    if (process.env.BENCH_KEEP_DATABASE) log(`kept database ${databaseName}`);
    else await scratch.drop();
  }
}

interface CaseSummary {
  id: string;
  label: string;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  serverCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  totalCpuMsPerRequest: number;
  /** Lowest and highest total CPU per request among the rounds. */
  totalCpuRange: [number, number];
  non2xx: number;
}

function summarize(samples: Record<string, Sample[]>) {
  const cases: CaseSummary[] = CASES.map((benchCase) => {
    const list = samples[benchCase.id]!;
    const requests = list.reduce((sum, s) => sum + s.requests, 0);
    const serverCpu = list.reduce((sum, s) => sum + s.serverCpuMs, 0);
    const postgresCpu = list.reduce((sum, s) => sum + s.postgresCpuMs, 0);
    const perRound = list.map((s) => (s.serverCpuMs + s.postgresCpuMs) / s.requests);
    return {
      id: benchCase.id,
      label: benchCase.label,
      requests,
      requestsPerSecond: round(median(list.map((s) => s.requestsPerSecond)), 0),
      p50: median(list.map((s) => s.p50)),
      p99: median(list.map((s) => s.p99)),
      serverCpuMsPerRequest: round(serverCpu / requests),
      postgresCpuMsPerRequest: round(postgresCpu / requests),
      totalCpuMsPerRequest: round((serverCpu + postgresCpu) / requests),
      totalCpuRange: [round(Math.min(...perRound)), round(Math.max(...perRound))],
      non2xx: list.reduce((sum, s) => sum + s.non2xx + s.errors, 0),
    };
  });
  // Ratios per round (the cases of one round ran under the same machine load), then the median.
  const perRoundRatio = (a: string, b: string, of: (s: Sample) => number) =>
    round(median(samples[a]!.map((s, i) => of(s) / of(samples[b]![i]!))));
  const cpu = (s: Sample) => (s.serverCpuMs + s.postgresCpuMs) / s.requests;
  const ratios = {
    switchboardQ1OverReferenceCpu: perRoundRatio("switchboard-q1", "reference-q1", cpu),
    switchboardQ1OverReferenceServerCpu: perRoundRatio("switchboard-q1", "reference-q1", (s) => s.serverCpuMs / s.requests),
    switchboardQ1OverReferenceP99: perRoundRatio("switchboard-q1", "reference-q1", (s) => s.p99),
    switchboardQ2OverQ1Cpu: perRoundRatio("switchboard-q2", "switchboard-q1", cpu),
  };
  return { cases, ratios };
}

function renderMarkdown(summary: ReturnType<typeof summarize>, statements: Record<string, StatementCount>): string {
  const lines = [
    "| Case | req/s | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | total CPU ms/req (rounds' range) | SQL statements/req |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...summary.cases.map(
      (c) =>
        `| ${c.label} | ${c.requestsPerSecond} | ${c.p50} | ${c.p99} | ${c.serverCpuMsPerRequest} | ${c.postgresCpuMsPerRequest} | ` +
        `${c.totalCpuMsPerRequest} (${c.totalCpuRange[0]}–${c.totalCpuRange[1]}) | ${statements[c.id]?.perRequest ?? "?"} |`,
    ),
    "",
    "| Ratio (median of the rounds' ratios) | value | issue 11 target |",
    "|---|---:|---:|",
    `| Switchboard Q1 / reference Q1, total CPU per request | ${summary.ratios.switchboardQ1OverReferenceCpu} | ≤ 0.5 |`,
    `| Switchboard Q1 / reference Q1, server CPU per request | ${summary.ratios.switchboardQ1OverReferenceServerCpu} | |`,
    `| Switchboard Q1 / reference Q1, p99 latency | ${summary.ratios.switchboardQ1OverReferenceP99} | ≤ 1 |`,
    `| Switchboard Q2 / Switchboard Q1, total CPU per request | ${summary.ratios.switchboardQ2OverQ1Cpu} | ≤ 1.5 |`,
    "",
    "SQL statements of one request (after the API key lookup is cached), as sent to PostgreSQL:",
    "",
  ];
  for (const benchCase of CASES) {
    lines.push(`- ${benchCase.label}:`);
    const sql = statements[benchCase.id]?.sql ?? [];
    if (sql.length === 0) lines.push("  (prepared earlier; texts not resent)");
    for (const text of sql) lines.push(`  - \`${shortSql(text)}\``);
  }
  return lines.join("\n");
}

/** A statement as a reader wants it in a table: one line, no schema prefix, long parameter lists collapsed. */
function shortSql(text: string): string {
  const short = text
    .replace(/\s+/g, " ")
    .replace(/"public"\./g, "")
    .replace(/\$(\d+)(?:,\$\d+){3,},\$(\d+)/g, "$$$1,…,$$$2")
    .replace(/`/g, "'");
  return short.length > 600 ? `${short.slice(0, 600)}…` : short;
}

async function main() {
  if (scale === "large") {
    const { runLarge } = await import("./large-scale.ts");
    await runLarge({ serverUrl, writeResults, log });
  } else if (scale === "default") {
    await runDefault();
  } else {
    throw new Error(`unknown --scale ${scale}: default or large`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

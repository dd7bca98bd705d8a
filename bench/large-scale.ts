// The large data set of issue 11, run by hand: `npm run bench:large [-- --write-results]`.
// One big organization and five small ones, 1M numbers and 2M messages in all, loaded with
// INSERT ... SELECT FROM generate_series (deterministic). Then, one request at a time on an
// otherwise idle server: the first page against a page after 900k rows (a cursor built the way
// Switchboard builds it), the text filter with EXPLAIN of the SQL Switchboard sends, and how
// totalCount grows with the organization's size. BENCH_LARGE_NUMBERS (default 950,000) sizes the
// big organization, to try the tool on less.
import { formatPrismaCursor } from "@pothos/plugin-prisma";
import pg from "pg";
import { connectionOptionsFromUrl } from "../src/db/connection-options.ts";
import { migrateDatabase } from "../src/db/migrate.ts";
import { createLogger } from "../src/logger.ts";
import { createScratchDatabase } from "../test/helpers/scratch-database.ts";
import { graphql, StatementCounter, type ServerProcess } from "./measure.ts";
import { machineLines, replaceSection } from "./results-file.ts";
import { seedOrganizations, type SeededOrganization } from "./seed.ts";
import { startReference, startSwitchboard } from "./servers.ts";

const WARMUPS = 3;
const REPEATS = 7;
const SMALL_ORGANIZATIONS = 5;
const SMALL_NUMBERS = 10_000;
const MESSAGES_PER_NUMBER = 2;

const PAGE = `query Page($after: String) { phoneNumbers(first: 100, after: $after, orderBy: {field: E164, direction: ASC}) { edges { node { id e164 label createdAt agent { id name } } } } }`;
const PAGE_WITH_COUNTS = `query PageQ2($after: String) { phoneNumbers(first: 100, after: $after, orderBy: {field: E164, direction: ASC}) { totalCount edges { node { id e164 label createdAt agent { id name phoneNumbers(first: 5) { totalCount } } setupStatus { status issues { code } } } } } }`;
const TEXT = `query Text($text: String!) { phoneNumbers(first: 100, filter: {text: $text}) { edges { node { e164 label } } } }`;
const TEXT_COUNT = `query TextCount($text: String!) { phoneNumbers(first: 100, filter: {text: $text}) { totalCount edges { node { e164 } } } }`;
const COUNT = `query Count { phoneNumbers(first: 1) { totalCount } }`;
const NO_COUNT = `query NoCount { phoneNumbers(first: 1) { edges { node { id } } } }`;

interface Timing {
  label: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  note?: string;
}

/** Wall time of one request, alone on an idle server: WARMUPS warm-ups, then the median of REPEATS. */
async function time(label: string, server: ServerProcess, apiKey: string, query: string, variables?: Record<string, unknown>, check?: (data: any) => string | undefined): Promise<Timing> {
  const first = await graphql(server.url, apiKey, query, variables);
  if (first.body.errors) throw new Error(`${label}: ${JSON.stringify(first.body.errors)}`);
  const note = check?.(first.body.data);
  for (let i = 1; i < WARMUPS; i++) await graphql(server.url, apiKey, query, variables);
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const { body } = await graphql(server.url, apiKey, query, variables);
    times.push(performance.now() - started);
    if (body.errors) throw new Error(`${label}: ${JSON.stringify(body.errors)}`);
  }
  times.sort((a, b) => a - b);
  return { label, medianMs: Math.round(times[Math.floor(times.length / 2)]!), minMs: Math.round(times[0]!), maxMs: Math.round(times.at(-1)!), note };
}

export async function runLarge({ serverUrl, writeResults, log }: { serverUrl: string; writeResults: boolean; log: (line: string) => void }): Promise<void> {
  const bigNumbers = Number(process.env.BENCH_LARGE_NUMBERS ?? 950_000);
  // 900k rows deep, as issue 11 asks, when the organization is large enough; 90% of it otherwise.
  const depth = bigNumbers > 900_100 ? 900_000 : Math.floor(bigNumbers * 0.9);
  const databaseName = `switchboard_bench_large_${process.pid}`;
  const scratch = await createScratchDatabase(serverUrl, databaseName);
  const admin = new pg.Client(connectionOptionsFromUrl(serverUrl));
  await admin.connect();
  const client = new pg.Client(connectionOptionsFromUrl(scratch.url));
  const servers: ServerProcess[] = [];
  let counter: StatementCounter | undefined;
  try {
    const machine = await machineLines(admin);
    log(`scratch database ${databaseName}: migrating with Switchboard's migrations`);
    await migrateDatabase(scratch.url, createLogger("warn"));
    await client.connect();
    log("loading");
    const loadStarted = performance.now();
    const organizations = await seedOrganizations(
      client,
      [
        { key: "big", agents: Math.max(1, Math.round(bigNumbers / 100)), numbers: bigNumbers, messagesPerNumber: MESSAGES_PER_NUMBER },
        ...Array.from({ length: SMALL_ORGANIZATIONS }, (_, i) => ({ key: `small${i + 1}`, agents: 100, numbers: SMALL_NUMBERS, messagesPerNumber: MESSAGES_PER_NUMBER })),
      ],
      log,
    );
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const counts = (await client.query<{ numbers: string; messages: string; agents: string }>(
      `SELECT (SELECT count(*) FROM "PhoneNumber") AS numbers, (SELECT count(*) FROM "Message") AS messages, (SELECT count(*) FROM "Agent") AS agents`,
    )).rows[0]!;
    log(`loaded ${counts.numbers} numbers, ${counts.messages} messages, ${counts.agents} agents in ${loadSeconds.toFixed(0)} s`);
    const big = organizations[0]!;
    const small = organizations[1]!;

    // The cursor of the row just before `depth` in the page's order, as Switchboard encodes `cursor: "id"`.
    const deep = await client.query<{ id: string; e164: string }>(
      `SELECT id, e164 FROM "PhoneNumber" WHERE "organizationId" = $1 AND status <> 'RELEASED' ORDER BY e164, id OFFSET $2 LIMIT 2`,
      [big.id, depth - 1],
    );
    const deepCursor = formatPrismaCursor({ id: deep.rows[0]!.id }, "id");
    const expectDeep = (data: any) => {
      const e164 = data.phoneNumbers.edges[0]?.node.e164;
      if (e164 !== deep.rows[1]!.e164) throw new Error(`the page after ${depth} rows starts at ${e164}, not ${deep.rows[1]!.e164}`);
      return undefined;
    };

    const switchboard = await startSwitchboard(scratch.url);
    servers.push(switchboard);
    const reference = await startReference(scratch.url);
    servers.push(reference);

    // A sample label and a sample of digits from the data, so each filter matches a few rows.
    const textLabel = "desk 77";
    const textDigits = (await client.query<{ e164: string }>(`SELECT e164 FROM "PhoneNumber" WHERE "organizationId" = $1 ORDER BY id LIMIT 1`, [big.id])).rows[0]!.e164.slice(-7);
    const matches = (data: any) => `${data.phoneNumbers.edges.length} rows on the page`;

    log("timing");
    const timings: Timing[] = [];
    const depthLabel = depth.toLocaleString("en");
    timings.push(await time("Switchboard, query 1, first page", switchboard, big.apiKey, PAGE));
    timings.push(await time(`Switchboard, query 1, page after ${depthLabel} rows`, switchboard, big.apiKey, PAGE, { after: deepCursor }, expectDeep));
    timings.push(await time("Reference, query 1, first page", reference, big.apiKey, PAGE));
    timings.push(await time(`Reference, query 1, page after ${depthLabel} rows`, reference, big.apiKey, PAGE, { after: deepCursor }, expectDeep));
    timings.push(await time("Switchboard, query 2, first page", switchboard, big.apiKey, PAGE_WITH_COUNTS));
    timings.push(await time(`Switchboard, query 2, page after ${depthLabel} rows`, switchboard, big.apiKey, PAGE_WITH_COUNTS, { after: deepCursor }, expectDeep));
    timings.push(await time(`Switchboard, text filter "${textLabel}" (label)`, switchboard, big.apiKey, TEXT, { text: textLabel }, matches));
    timings.push(await time(`Switchboard, text filter "${textDigits}" (digits)`, switchboard, big.apiKey, TEXT, { text: textDigits }, matches));
    timings.push(await time(`Switchboard, text filter "${textLabel}" with totalCount`, switchboard, big.apiKey, TEXT_COUNT, { text: textLabel }, (d) => `totalCount ${d.phoneNumbers.totalCount}`));
    for (const organization of [small, big]) {
      const size = organization.numbers.toLocaleString("en");
      timings.push(await time(`Switchboard, first: 1 without totalCount (${size} numbers)`, switchboard, organization.apiKey, NO_COUNT));
      timings.push(await time(`Switchboard, first: 1 with totalCount (${size} numbers)`, switchboard, organization.apiKey, COUNT, undefined, (d) => `totalCount ${d.phoneNumbers.totalCount}`));
    }
    for (const t of timings) log(`  ${t.label}: ${t.medianMs} ms (${t.minMs}–${t.maxMs})${t.note ? `, ${t.note}` : ""}`);

    // The SQL Switchboard sends for the deep page, the text filters and totalCount, explained.
    log("explaining Switchboard's SQL");
    const options = connectionOptionsFromUrl(scratch.url);
    counter = new StatementCounter({ host: options.host, port: options.port });
    const port = await counter.listen();
    const proxied = new URL(scratch.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(port);
    const counted = await startSwitchboard(proxied.toString(), "bench-explain-switchboard");
    servers.push(counted);
    const explained: { title: string; sql: string; plan: string }[] = [];
    const explain = async (title: string, query: string, variables: Record<string, unknown> | undefined, pick: (sql: string) => boolean) => {
      await graphql(counted.url, big.apiKey, query, variables);
      counter!.reset();
      const { body } = await graphql(counted.url, big.apiKey, query, variables);
      if (body.errors) throw new Error(`${title}: ${JSON.stringify(body.errors)}`);
      const picked = counter!.bound.filter((b) => pick(b.sql));
      // A request whose SQL changed shape must not leave its section silently empty.
      if (picked.length === 0) throw new Error(`${title}: none of its ${counter!.bound.length} statements is the one to explain:\n${counter!.bound.map((b) => b.sql.slice(0, 200)).join("\n")}`);
      for (const statement of picked) {
        const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, statement.params);
        explained.push({ title, sql: statement.sql, plan: rows.map((row) => row["QUERY PLAN"]).join("\n") });
      }
    };
    // Every list request here is answered by a compiled read: one statement over "PhoneNumber" p.
    const isNumberPage = (sql: string) => sql.includes(`FROM "PhoneNumber" p WHERE`);
    await explain("First page (query 1)", PAGE, undefined, isNumberPage);
    await explain(`Page after ${depthLabel} rows (query 1)`, PAGE, { after: deepCursor }, isNumberPage);
    await explain(`Text filter "${textLabel}"`, TEXT, { text: textLabel }, isNumberPage);
    await explain(`Text filter "${textDigits}"`, TEXT, { text: textDigits }, isNumberPage);
    await explain("totalCount of the big organization (its counter)", COUNT, undefined, isNumberPage);
    await explain("Query 2: totalCount, the agents' counts (their counters) and setup status", PAGE_WITH_COUNTS, undefined, isNumberPage);

    const markdown = render({ machine, counts, loadSeconds, organizations, depth, timings, explained });
    log(`\n${markdown}`);
    console.log(JSON.stringify({ scale: "large", counts, loadSeconds: Math.round(loadSeconds), depth, timings }, null, 2));
    if (writeResults) {
      replaceSection("large", markdown);
      log("bench/RESULTS.md updated");
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await counter?.close();
    await client.end().catch(() => {});
    await admin.end();
    if (process.env.BENCH_KEEP_DATABASE) log(`kept database ${databaseName}`);
    else await scratch.drop();
  }
}

function render(input: {
  machine: string[];
  counts: { numbers: string; messages: string; agents: string };
  loadSeconds: number;
  organizations: SeededOrganization[];
  depth: number;
  timings: Timing[];
  explained: { title: string; sql: string; plan: string }[];
}): string {
  const n = (value: string | number) => Number(value).toLocaleString("en");
  const [big, ...small] = input.organizations;
  const first = input.timings[0]!;
  const deep = input.timings[1]!;
  const lines = [
    `## Large data set (${n(input.counts.numbers)} numbers, ${n(input.counts.messages)} messages)`,
    "",
    ...input.machine,
    `- Loaded in ${input.loadSeconds.toFixed(0)} s (INSERT ... SELECT FROM generate_series, indexes in place, then ANALYZE): ` +
      `one organization with ${n(big!.numbers)} numbers and ${n(big!.agents)} agents, ${small.length} with ${n(small[0]?.numbers ?? 0)} numbers and ` +
      `${n(small[0]?.agents ?? 0)} agents each; ${MESSAGES_PER_NUMBER} messages per number; ${n(input.counts.agents)} agents in all`,
    `- One request at a time on idle servers (each its own process), wall time seen by the client: ${WARMUPS} warm-ups, then the median (and range) of ${REPEATS}`,
    `- Page after ${n(input.depth)} rows / first page, Switchboard query 1: **${(deep.medianMs / Math.max(1, first.medianMs)).toFixed(2)}x** (issue 11 target: ≤ 1.5x)`,
    "",
    "| Request | median ms | range ms | note |",
    "|---|---:|---:|---|",
    ...input.timings.map((t) => `| ${t.label} | ${t.medianMs} | ${t.minMs}–${t.maxMs} | ${t.note ?? ""} |`),
    "",
    "### EXPLAIN (ANALYZE, BUFFERS) of the SQL Switchboard sends",
    "",
    "Captured on the wire (statement and its parameters) from a Switchboard process of its own, then explained on the same data.",
  ];
  for (const e of input.explained) {
    lines.push("", `#### ${e.title}`, "", "```sql", e.sql.replace(/"public"\./g, "").replace(/\$(\d+)(?:,\$\d+){3,},\$(\d+)/g, "$$$1,…,$$$2"), "```", "", "```", e.plan, "```");
  }
  return lines.join("\n");
}

// Memory soak of issue 11: "idle server RSS on PostgreSQL at most 250 MiB; no growth over a
// 5-minute mixed run (start vs end within 10%)". Switchboard runs as its own process on a scratch
// PostgreSQL database seeded as `npm run bench` seeds it; this process drives a mixed workload
// (queries, paging, filters, node lookups, mutations that change data and put it back, and open
// WebSocket subscriptions receiving the events those mutations cause) and reads the server's RSS
// from /proc every 10 s.
//   npm run bench:soak                                 300 s, 8 workers, 4 subscriptions
//   npm run bench:soak -- --write-results              ... and rewrite its section of bench/RESULTS.md
//   npm run bench:soak -- --heap                       ... and read V8 heap figures through the
//                                                      inspector (the server runs with --inspect,
//                                                      which costs a little memory of its own)
// Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres; a scratch
// database is created on that server and dropped after), BENCH_SOAK_SECONDS (300),
// BENCH_SOAK_WORKERS (8), BENCH_SOAK_SUBSCRIPTIONS (4), BENCH_SOAK_SETTLE_SECONDS (10),
// BENCH_SOAK_PAUSE_EVERY (48) and BENCH_SOAK_AGENT_EVERY (4) (how often a worker's cycle makes
// setup-status events, see worker()),
// BENCH_AGENTS (1000), BENCH_NUMBERS (10000), BENCH_KEEP_DATABASE=1.
// Exit code 1 when any request failed (non-2xx, GraphQL errors, a mutation answering anything but
// its Success type, a subscription error) or no subscription received an event.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client as WsClient } from "graphql-ws";
import pg from "pg";
import WebSocket from "ws";
import { connectionOptionsFromUrl } from "../src/db/connection-options.ts";
import { createScratchDatabase } from "../test/helpers/scratch-database.ts";
import { processCpuMs, type ServerProcess } from "./measure.ts";
import { machineLines, replaceSection } from "./results-file.ts";
import { BENCH_API_KEY, migrateAndSeed } from "./seed.ts";
import { PAGE_AFTER, Q1, Q2, startSwitchboard } from "./servers.ts";

const args = process.argv.slice(2);
const writeResults = args.includes("--write-results");
const readHeap = args.includes("--heap");
const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const workerCount = Number(process.env.BENCH_SOAK_WORKERS ?? 8);
const subscriptionCount = Number(process.env.BENCH_SOAK_SUBSCRIPTIONS ?? 4);
const settleSeconds = Number(process.env.BENCH_SOAK_SETTLE_SECONDS ?? 10);
/**
 * A worker pauses and resumes its agent (20 setup-status events: the agent has 10 numbers) once
 * every this many cycles. Every cycle doing it (BENCH_SOAK_PAUSE_EVERY=1) publishes events faster
 * than the server delivers them to a subscription and crashes it (see bench/README.md).
 */
const pauseEvery = Number(process.env.BENCH_SOAK_PAUSE_EVERY ?? 48);
/** A worker moves one of its numbers to a new agent and deletes the agent (about 2 events) once every this many cycles. */
const agentEvery = Number(process.env.BENCH_SOAK_AGENT_EVERY ?? 4);
const agentCount = Number(process.env.BENCH_AGENTS ?? 1000);
const numberCount = Number(process.env.BENCH_NUMBERS ?? 10_000);
const SAMPLE_SECONDS = 10;
/** The "start" of the growth comparison: RSS once the server has served a minute of the mix (less on short trial runs). */
const warmSeconds = Math.max(SAMPLE_SECONDS, Math.min(60, Math.floor(seconds / 2 / SAMPLE_SECONDS) * SAMPLE_SECONDS));
const REQUEST_TIMEOUT_MS = 30_000;
/** A server that stopped answering turns every request into an error: stop early instead of spinning. */
const MAX_ERRORS = 200;
const TARGET_IDLE_MIB = 250;
const TARGET_RATIO = 1.1;

const log = (line: string) => process.stderr.write(`${line}\n`);
const mib = (kib: number) => Number((kib / 1024).toFixed(1));
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// The operations of the mix.

const FILTER = `query Filter($text: String!) { phoneNumbers(first: 20, filter: {text: $text}) { totalCount edges { node { id e164 label agent { id name } } } } }`;
const NODE = `query Node($id: ID!) { node(id: $id) { id ... on PhoneNumber { e164 label status agent { id name status } setupStatus { status } } ... on Agent { name agentStatus: status phoneNumbers(first: 5) { totalCount edges { node { e164 } } } } } }`;
const UPDATE_LABEL = `mutation Label($id: ID!, $label: String!) { updatePhoneNumber(input: {id: $id, label: $label}) { __typename ... on UpdatePhoneNumberSuccess { phoneNumber { id label } } } }`;
const UPDATE_AGENT = `mutation AgentStatus($id: ID!, $status: AgentStatus!) { updateAgent(input: {id: $id, status: $status}) { __typename ... on UpdateAgentSuccess { agent { id status } } } }`;
const CREATE_AGENT = `mutation CreateAgent($name: String!) { createAgent(input: {name: $name}) { __typename ... on CreateAgentSuccess { agent { id name } } } }`;
const ASSIGN = `mutation Assign($agentId: ID!, $phoneNumberId: ID!) { assignPhoneNumber(input: {agentId: $agentId, phoneNumberId: $phoneNumberId}) { __typename } }`;
const DELETE_AGENT = `mutation DeleteAgent($id: ID!) { deleteAgent(input: {id: $id}) { __typename ... on DeleteAgentSuccess { deletedAgentId unassignedPhoneNumbers { id } } } }`;
const SUBSCRIPTION = `subscription Setup($phoneNumberId: ID) { phoneNumberSetupStatusChanged(phoneNumberId: $phoneNumberId) { eventId changedAt current { status issues { code } } phoneNumber { id e164 agent { id } } } }`;
/** Label fragments and digits, as a dashboard's search box sends them. */
const FILTER_TEXTS = ["Sales 1", "Support 10", "Billing", "Dispatch 5", "Front desk 99", "20000012", "555", "soak"];

const KINDS = ["q1", "q2", "page", "filter", "node", "updatePhoneNumber", "updateAgent", "createAgent", "assignPhoneNumber", "deleteAgent"] as const;
type Kind = (typeof KINDS)[number];

class Counters {
  requests = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  errors = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  firstErrors: string[] = [];
  get totalErrors() {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }
  fail(kind: Kind, message: string) {
    this.errors[kind]++;
    if (this.firstErrors.length < 10) this.firstErrors.push(`${kind}: ${message.slice(0, 500)}`);
  }
}

const counters = new Counters();

/**
 * One POST, checked: 2xx, no GraphQL errors, data present, and for a mutation (`mutationField`)
 * the Success type. Returns the data, or undefined after counting the failure.
 */
async function request(baseUrl: string, kind: Kind, query: string, variables?: Record<string, unknown>, mutationField?: string): Promise<any> {
  counters.requests[kind]++;
  try {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": BENCH_API_KEY },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.status < 200 || response.status > 299) return counters.fail(kind, `HTTP ${response.status}: ${text}`);
    const body = JSON.parse(text);
    if (body.errors?.length) return counters.fail(kind, JSON.stringify(body.errors));
    if (!body.data) return counters.fail(kind, `no data: ${text}`);
    if (mutationField) {
      const typename: string | undefined = body.data[mutationField]?.__typename;
      if (!typename?.endsWith("Success")) return counters.fail(kind, `${mutationField} answered ${typename}: ${text}`);
    }
    return body.data;
  } catch (error) {
    return counters.fail(kind, String((error as Error)?.message ?? error));
  }
}

// ---------------------------------------------------------------------------------------------
// Memory readings.

interface ProcStatus {
  rssKiB: number;
  rssAnonKiB: number;
  rssFileKiB: number;
  /** The kernel's high-water mark of RSS since the process started (peaks between samples too). */
  hwmKiB: number;
}

function procStatus(pid: number): ProcStatus {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
  return { rssKiB: field("VmRSS"), rssAnonKiB: field("RssAnon"), rssFileKiB: field("RssFile"), hwmKiB: field("VmHWM") };
}

/** Runtime.getHeapUsage and HeapProfiler.collectGarbage over the server's inspector (`--heap`). */
class Inspector {
  #socket!: WebSocket;
  #id = 0;
  #pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();

  static async connect(server: ServerProcess): Promise<Inspector> {
    let url: string | undefined;
    for (let i = 0; i < 50 && !url; i++) {
      url = server.output().match(/Debugger listening on (ws:\/\/\S+)/)?.[1];
      if (!url) await sleep(100);
    }
    if (!url) throw new Error("the server printed no inspector URL");
    const inspector = new Inspector();
    inspector.#socket = new WebSocket(url);
    inspector.#socket.on("message", (raw) => {
      const message = JSON.parse(String(raw));
      const pending = inspector.#pending.get(message.id);
      if (!pending) return;
      inspector.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(JSON.stringify(message.error)));
      else pending.resolve(message.result);
    });
    // A server that exits mid-call never answers: fail the calls instead of waiting forever.
    inspector.#socket.on("close", () => {
      for (const pending of inspector.#pending.values()) pending.reject(new Error("the inspector connection closed"));
      inspector.#pending.clear();
    });
    await new Promise<void>((resolve, reject) => inspector.#socket.once("open", resolve).once("error", reject));
    return inspector;
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** V8 heap in use and allocated, MiB. */
  async heap(): Promise<{ usedMiB: number; totalMiB: number }> {
    const usage = await this.call("Runtime.getHeapUsage");
    return { usedMiB: round(usage.usedSize / 2 ** 20, 1), totalMiB: round(usage.totalSize / 2 ** 20, 1) };
  }

  /** Heap in use after a full garbage collection: what is still referenced. */
  async heapAfterGc(): Promise<number> {
    await this.call("HeapProfiler.collectGarbage");
    return (await this.heap()).usedMiB;
  }

  close() {
    this.#socket.close();
  }
}

interface Sample {
  /** Seconds since the workload started. */
  t: number;
  rssMiB: number;
  rssAnonMiB: number;
  rssFileMiB: number;
  heapUsedMiB?: number;
  heapTotalMiB?: number;
  /** Requests answered up to this sample. */
  requests: number;
  events: number;
  /** Setup-status events recorded so far that the slowest org-wide subscription has not received yet. */
  backlog: number;
  serverCpuS: number;
}

// ---------------------------------------------------------------------------------------------
// Subscriptions.

interface SubscriptionState {
  client: WsClient;
  filtered: boolean;
  events: number;
  errors: number;
  dispose: () => void;
}

async function openSubscription(baseUrl: string, phoneNumberId: string | undefined): Promise<SubscriptionState> {
  const client = createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: BENCH_API_KEY },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: (error) => counters.firstErrors.length < 10 && counters.firstErrors.push(`websocket: ${String(error)}`),
  });
  const state: SubscriptionState = { client, filtered: !!phoneNumberId, events: 0, errors: 0, dispose: () => {} };
  const fail = (message: string) => {
    state.errors++;
    if (counters.firstErrors.length < 10) counters.firstErrors.push(`subscription: ${message.slice(0, 500)}`);
  };
  state.dispose = client.subscribe(
    { query: SUBSCRIPTION, variables: { phoneNumberId: phoneNumberId ?? null } },
    {
      next: (result) => {
        if (result.errors?.length || !(result.data as any)?.phoneNumberSetupStatusChanged?.eventId) fail(JSON.stringify(result));
        else state.events++;
      },
      error: (error) => fail(error instanceof Error ? error.message : JSON.stringify(error)),
      complete: () => {
        if (!stopping) fail("the subscription ended");
      },
    },
  );
  // graphql-ws has no "subscribed" acknowledgement; a query round trip on the same socket orders after it.
  await client.iterate({ query: "{ __typename }" }).next();
  return state;
}

// ---------------------------------------------------------------------------------------------
// The workload.

interface Fixture {
  /** Global ids of numbers of the first page, in e164 order, with their agent. */
  numbers: { id: string; label: string; agentId: string }[];
  /** ACTIVE agents, one per worker, to pause and resume. */
  agents: string[];
}

async function loadFixture(baseUrl: string): Promise<Fixture> {
  const numbers: Fixture["numbers"] = [];
  const seenAgents = new Set<string>();
  let after: string | null = null;
  for (let page = 0; page < 3; page++) {
    const data = await request(baseUrl, "page", PAGE_AFTER, { after });
    if (!data) throw new Error(`the fixture's page failed: ${counters.firstErrors.join("\n")}`);
    for (const edge of data.phoneNumbers.edges) numbers.push({ id: edge.node.id, label: edge.node.label, agentId: edge.node.agent.id });
    after = data.phoneNumbers.pageInfo.endCursor;
  }
  // Agents to pause: distinct, ACTIVE, not the agent of a number another worker reassigns.
  const reserved = new Set(numbers.slice(0, 2 * workerCount).map((n) => n.agentId));
  const agents: string[] = [];
  for (const number of numbers.slice(2 * workerCount)) {
    if (agents.length === workerCount) break;
    if (reserved.has(number.agentId) || seenAgents.has(number.agentId)) continue;
    seenAgents.add(number.agentId);
    const data = await request(baseUrl, "node", NODE, { id: number.agentId });
    if (data?.node?.agentStatus === "ACTIVE") agents.push(number.agentId);
  }
  if (agents.length < workerCount) throw new Error(`not enough ACTIVE agents in the first pages (${agents.length}): ${counters.firstErrors.join("\n")}`);
  return { numbers, agents };
}

let stopping = false;
let serverDied: string | undefined;

/**
 * One worker: a fixed cycle of reads, then a label change put back, then once every `agentEvery` cycles a new
 * agent that takes one of the worker's numbers and is deleted (the number is unassigned, then given
 * back to its agent), and once every `pauseEvery` cycles its own agent paused and resumed (the setup
 * status of the agent's 10 numbers changes twice). Each
 * worker owns its numbers and agent, so workers never undo each other's changes.
 */
async function worker(baseUrl: string, index: number, fixture: Fixture): Promise<void> {
  const labelNumber = fixture.numbers[index]!;
  const cycleNumber = fixture.numbers[workerCount + index]!;
  const pauseAgent = fixture.agents[index]!;
  const lookups = [...fixture.numbers.map((n) => n.id), ...fixture.agents];
  let cursor: string | null = null;
  let cycle = 0;
  const page = async () => {
    const data = await request(baseUrl, "page", PAGE_AFTER, { after: cursor });
    const info = data?.phoneNumbers?.pageInfo;
    cursor = info?.hasNextPage ? info.endCursor : null;
  };
  const filter = () => request(baseUrl, "filter", FILTER, { text: FILTER_TEXTS[(cycle + index) % FILTER_TEXTS.length] });
  const node = (offset: number) => request(baseUrl, "node", NODE, { id: lookups[(cycle * 7 + index * 13 + offset) % lookups.length] });
  while (!stopping && counters.totalErrors < MAX_ERRORS) {
    await request(baseUrl, "q1", Q1);
    await page();
    await filter();
    await node(0);
    await request(baseUrl, "q2", Q2);
    await page();
    await filter();
    await node(1);
    await request(baseUrl, "updatePhoneNumber", UPDATE_LABEL, { id: labelNumber.id, label: `soak ${index} ${cycle}` }, "updatePhoneNumber");
    await request(baseUrl, "updatePhoneNumber", UPDATE_LABEL, { id: labelNumber.id, label: labelNumber.label }, "updatePhoneNumber");
    if (cycle % pauseEvery === 0) {
      await request(baseUrl, "updateAgent", UPDATE_AGENT, { id: pauseAgent, status: "PAUSED" }, "updateAgent");
      await request(baseUrl, "updateAgent", UPDATE_AGENT, { id: pauseAgent, status: "ACTIVE" }, "updateAgent");
    } else if (cycle % agentEvery === 1 % agentEvery) {
      const created = await request(baseUrl, "createAgent", CREATE_AGENT, { name: `Soak ${index} ${cycle}` }, "createAgent");
      const agentId: string | undefined = created?.createAgent?.agent?.id;
      if (agentId) {
        await request(baseUrl, "assignPhoneNumber", ASSIGN, { agentId, phoneNumberId: cycleNumber.id }, "assignPhoneNumber");
        await request(baseUrl, "deleteAgent", DELETE_AGENT, { id: agentId }, "deleteAgent");
        await request(baseUrl, "assignPhoneNumber", ASSIGN, { agentId: cycleNumber.agentId, phoneNumberId: cycleNumber.id }, "assignPhoneNumber");
      }
    }
    cycle++;
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const databaseName = `switchboard_soak_${process.pid}`;
  const scratch = await createScratchDatabase(serverUrl, databaseName);
  const admin = new pg.Client(connectionOptionsFromUrl(serverUrl));
  await admin.connect();
  let server: ServerProcess | undefined;
  let inspector: Inspector | undefined;
  let closeScratchClient: (() => Promise<void>) | undefined;
  const subscriptions: SubscriptionState[] = [];
  try {
    log(`scratch database ${databaseName}`);
    await migrateAndSeed(scratch.url, [{ key: "main", agents: agentCount, numbers: numberCount }], log);
    const machine = await machineLines(admin);

    server = await startSwitchboard(scratch.url, "bench-soak", readHeap ? ["--inspect=127.0.0.1:0"] : []);
    const pid = server.pid;
    const serverOutput = server.output;
    server.child.once("exit", (code, signal) => {
      if (stopping) return;
      serverDied = `Switchboard exited (code ${code}, signal ${signal}) during the run; its last output:\n${serverOutput().slice(-4000)}`;
      log(serverDied);
      stopping = true;
    });
    if (readHeap) inspector = await Inspector.connect(server);
    log(`Switchboard started (pid ${pid}); ${settleSeconds} s to settle`);
    const started = procStatus(pid);
    await sleep(settleSeconds * 1000);
    const idle = procStatus(pid);
    const idleHeap = inspector ? await inspector.heap() : undefined;
    log(`idle RSS ${mib(idle.rssKiB)} MiB (${mib(started.rssKiB)} MiB when it started listening)`);

    const fixture = await loadFixture(server.url);
    for (let i = 0; i < subscriptionCount; i++) {
      // The last one follows a single number (the one worker 0 moves to a new agent and back); the others the whole organization.
      const filtered = i === subscriptionCount - 1 && subscriptionCount > 1;
      subscriptions.push(await openSubscription(server.url, filtered ? fixture.numbers[workerCount]!.id : undefined));
    }
    log(`${subscriptions.length} subscriptions open; ${workerCount} workers for ${seconds} s`);

    // Setup-status events the server recorded since the start; each org-wide subscription should get them all.
    const scratchClient = new pg.Client(connectionOptionsFromUrl(scratch.url));
    await scratchClient.connect();
    closeScratchClient = () => scratchClient.end();
    const recordedEvents = async () =>
      Number((await scratchClient.query(`SELECT count(*) AS n FROM "Event" WHERE type = 'SETUP_STATUS_CHANGED'`)).rows[0].n);
    const eventsBefore = await recordedEvents();
    const published = async () => (await recordedEvents()) - eventsBefore;
    const orgWide = subscriptions.filter((s) => !s.filtered);
    const totalRequests = () => Object.values(counters.requests).reduce((a, b) => a + b, 0);
    const totalEvents = () => subscriptions.reduce((sum, s) => sum + s.events, 0);
    const cpuAtStart = processCpuMs(pid)!;
    const samples: Sample[] = [];
    const t0 = performance.now();
    const sample = async (t: number): Promise<Sample> => {
      const status = procStatus(pid);
      const heap = inspector ? await inspector.heap() : undefined;
      const recorded = await published();
      const s: Sample = {
        t,
        rssMiB: mib(status.rssKiB),
        rssAnonMiB: mib(status.rssAnonKiB),
        rssFileMiB: mib(status.rssFileKiB),
        heapUsedMiB: heap?.usedMiB,
        heapTotalMiB: heap?.totalMiB,
        requests: totalRequests(),
        events: totalEvents(),
        backlog: orgWide.length ? recorded - Math.min(...orgWide.map((o) => o.events)) : 0,
        serverCpuS: round(((processCpuMs(pid) ?? cpuAtStart) - cpuAtStart) / 1000, 1),
      };
      log(
        `t=${String(t).padStart(3)} s  RSS ${s.rssMiB} MiB (anon ${s.rssAnonMiB})` +
          (heap ? `  heap ${heap.usedMiB}/${heap.totalMiB} MiB` : "") +
          `  ${s.requests} requests, ${recorded} events recorded, ${s.events} received, backlog ${s.backlog}, ${counters.totalErrors} errors`,
      );
      return s;
    };
    samples.push(await sample(0));
    const workers = Array.from({ length: workerCount }, (_, i) => worker(server!.url, i, fixture));
    let warmHeapAfterGc: number | undefined;
    for (let t = SAMPLE_SECONDS; t <= seconds && counters.totalErrors < MAX_ERRORS; t += SAMPLE_SECONDS) {
      await sleep(Math.max(0, t0 + t * 1000 - performance.now()));
      if (serverDied) throw new Error(serverDied);
      samples.push(await sample(t));
      // Heap after a full GC at the start of the comparison (after reading RSS, which a GC would change).
      if (inspector && t === warmSeconds) warmHeapAfterGc = await inspector.heapAfterGc();
    }
    const end = samples.at(-1)!;
    const endHwm = procStatus(pid).hwmKiB;
    const elapsed = (performance.now() - t0) / 1000;
    stopping = true;
    await Promise.all(workers);
    const endHeapAfterGc = inspector ? await inspector.heapAfterGc() : undefined;
    const requestsDone = totalRequests();
    // Events still queued for the subscriptions: wait (at most 60 s) until each org-wide one has them all.
    const eventsRecorded = await published();
    const drainStarted = performance.now();
    while (orgWide.some((o) => o.events < eventsRecorded) && performance.now() - drainStarted < 60_000 && !serverDied) await sleep(200);
    const drainSeconds = round((performance.now() - drainStarted) / 1000, 1);
    const undelivered = orgWide.reduce((sum, o) => sum + Math.max(0, eventsRecorded - o.events), 0);
    const eventsReceived = totalEvents();
    await sleep(Math.max(0, SAMPLE_SECONDS * 1000 - (performance.now() - drainStarted)));
    const afterLoad = procStatus(pid);

    const warm = samples.find((s) => s.t === warmSeconds) ?? samples[Math.min(1, samples.length - 1)]!;
    const peak = samples.reduce((max, s) => (s.rssMiB > max.rssMiB ? s : max), samples[0]!);
    const ratio = round(end.rssMiB / warm.rssMiB, 3);
    const subscriptionErrors = subscriptions.reduce((sum, s) => sum + s.errors, 0);
    const json = {
      agents: agentCount,
      numbers: numberCount,
      seconds,
      elapsedSeconds: round(elapsed, 1),
      workers: workerCount,
      pauseEvery,
      agentEvery,
      subscriptions: subscriptions.map((s) => ({ filtered: s.filtered, events: s.events, errors: s.errors })),
      memoryMiB: {
        atListen: mib(started.rssKiB),
        idle: mib(idle.rssKiB),
        idleAnon: mib(idle.rssAnonKiB),
        idleHeap,
        warm: warm.rssMiB,
        warmAtSeconds: warm.t,
        end: end.rssMiB,
        peakSampled: peak.rssMiB,
        peakSampledAtSeconds: peak.t,
        peakKernelHwm: mib(endHwm),
        afterLoad: mib(afterLoad.rssKiB),
        heapUsedAfterGc: inspector ? { warm: warmHeapAfterGc, end: endHeapAfterGc } : undefined,
      },
      endOverWarm: ratio,
      targets: { idleMiB: TARGET_IDLE_MIB, idleMet: mib(idle.rssKiB) <= TARGET_IDLE_MIB, ratio: TARGET_RATIO, ratioMet: ratio <= TARGET_RATIO },
      requests: counters.requests,
      requestsTotal: requestsDone,
      requestsPerSecond: round(requestsDone / elapsed, 1),
      serverCpuSeconds: end.serverCpuS,
      eventsRecorded,
      eventsReceived,
      maxBacklog: Math.max(...samples.map((s) => s.backlog)),
      drainSeconds,
      undelivered,
      errors: { ...counters.errors, subscriptions: subscriptionErrors },
      firstErrors: counters.firstErrors,
      samples,
    };
    console.log(JSON.stringify(json, null, 2));

    const markdown = [
      `| Figure | MiB | issue 11 target |`,
      `|---|---:|---:|`,
      `| Idle RSS (${settleSeconds} s after listening, no request yet) | ${json.memoryMiB.idle} | ≤ ${TARGET_IDLE_MIB} |`,
      `| RSS after ${warm.t} s of the mix (the **start** of the comparison) | ${warm.rssMiB} | |`,
      `| RSS at the end (${end.t} s) | ${end.rssMiB} | |`,
      `| Peak RSS (sampled, at ${peak.t} s; kernel high-water mark ${json.memoryMiB.peakKernelHwm}) | ${peak.rssMiB} | |`,
      `| RSS ${SAMPLE_SECONDS} s after the load stopped | ${json.memoryMiB.afterLoad} | |`,
      ...(inspector
        ? [`| V8 heap used after a full GC: at ${warm.t} s / at the end | ${warmHeapAfterGc} / ${endHeapAfterGc} | |`]
        : []),
      `| **End / start** | **${ratio}** | ≤ ${TARGET_RATIO} |`,
      "",
      `| Kind | requests | errors |`,
      `|---|---:|---:|`,
      ...KINDS.map((k) => `| ${k} | ${counters.requests[k]} | ${counters.errors[k]} |`),
      `| all (${json.requestsPerSecond} req/s, server CPU ${end.serverCpuS} s) | ${requestsDone} | ${counters.totalErrors} |`,
      `| setup-status events recorded; received by ${subscriptions.length} subscriptions (one filtered to a number) | ${eventsRecorded}; ${eventsReceived} | ${subscriptionErrors} |`,
      "",
      `Largest backlog of an org-wide subscription at a sample: ${json.maxBacklog} events; after the load stopped, ${drainSeconds} s until every org-wide subscription had every event (${undelivered} missing after that).`,
      "",
      `RSS every ${SAMPLE_SECONDS} s (MiB): ${samples.map((s) => s.rssMiB).join(", ")}`,
      ...(inspector ? ["", `V8 heap used every ${SAMPLE_SECONDS} s (MiB, no forced GC): ${samples.map((s) => s.heapUsedMiB).join(", ")}`] : []),
    ].join("\n");
    log(`\n${markdown}`);

    const noEvents = subscriptions.some((s) => s.events === 0);
    if (undelivered > 0) {
      log(`failed: ${undelivered} recorded events never reached an org-wide subscription`);
      process.exitCode = 1;
    }
    if (writeResults) {
      replaceSection(
        "soak",
        [
          `## Memory soak: ${seconds} s mixed run (${numberCount.toLocaleString("en")} numbers, ${agentCount.toLocaleString("en")} agents)`,
          "",
          ...machine,
          `- \`npm run bench:soak\`: ${workerCount} workers (agent pause/resume every ${pauseEvery} cycles, agent create/assign/delete every ${agentEvery}), ${subscriptions.length} WebSocket subscriptions; RSS from /proc/<pid>/status every ${SAMPLE_SECONDS} s${inspector ? "; server run with --inspect for heap figures" : ""}`,
          "",
          markdown,
        ].join("\n"),
      );
      log("bench/RESULTS.md updated");
    }
    if (counters.totalErrors > 0 || subscriptionErrors > 0) {
      log(`failed: ${counters.totalErrors} request errors, ${subscriptionErrors} subscription errors:\n${counters.firstErrors.join("\n")}`);
      process.exitCode = 1;
    }
    if (noEvents) {
      log("failed: a subscription received no event");
      process.exitCode = 1;
    }
  } finally {
    stopping = true;
    for (const s of subscriptions) {
      s.dispose();
      await s.client.dispose();
    }
    inspector?.close();
    await closeScratchClient?.();
    await server?.stop();
    await admin.end();
    if (process.env.BENCH_KEEP_DATABASE) log(`kept database ${databaseName}`);
    else await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

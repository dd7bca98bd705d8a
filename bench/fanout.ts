// Fan-out benchmark of live setup status: N idle WebSocket subscribers (graphql-transport-ws),
// one change, the time until every subscriber has the event, and the server's memory per idle
// subscription. The server runs as its own process (`switchboard serve`), the subscribers here.
//   npm run bench:fanout                     N = 1,000 and 10,000, embedded database
//   BENCH_SUBSCRIBERS=500 npm run bench:fanout
//   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:fanout
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { post, runCli, startServerProcess } from "../test/helpers/processes.ts";
import { createScratchDatabase } from "../test/helpers/scratch-database.ts";

const sizes = (process.env.BENCH_SUBSCRIBERS ?? "1000,10000").split(",").map(Number);
const serverUrl = process.env.BENCH_DATABASE_URL;
const SUBSCRIPTION = JSON.stringify({
  query: "subscription { phoneNumberSetupStatusChanged { eventId phoneNumber { e164 } current { status } } }",
});

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.replace(/\D+/g, ""));
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

interface Subscriber {
  socket: WebSocket;
  received: Promise<number>;
}

/** Opens a socket, authenticates, subscribes; `received` resolves with the time of the first event. */
function openSubscriber(wsUrl: string, apiKey: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, "graphql-transport-ws");
    let onEvent!: (time: number) => void;
    const received = new Promise<number>((r) => (onEvent = r));
    socket.on("error", reject);
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { apiKey } })));
    socket.on("message", (raw) => {
      const message = JSON.parse(String(raw));
      if (message.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: JSON.parse(SUBSCRIPTION) }));
        // A ping/pong round trip after the subscribe message: the server has handled it by then.
        socket.send(JSON.stringify({ type: "ping" }));
      } else if (message.type === "pong") {
        resolve({ socket, received });
      } else if (message.type === "next") {
        onEvent(performance.now());
      } else if (message.type === "error") {
        reject(new Error(JSON.stringify(message.payload)));
      }
    });
  });
}

async function run(n: number) {
  const dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-fanout-"));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "warn",
    MAX_SUBSCRIPTIONS_PER_KEY: String(n + 10),
    // Every subscriber is the same key: its budget must cover n subscriptions at once.
    RATE_LIMIT_KEY_POINTS: "1000000000",
    RATE_LIMIT_ORG_POINTS: "1000000000",
  };
  let dropDatabase: (() => Promise<void>) | undefined;
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, `switchboard_fanout_${process.pid}_${n}`);
    env.DATABASE_URL = scratch.url;
    dropDatabase = scratch.drop;
    const migrated = await runCli(["migrate"], env);
    if (migrated.code !== 0) throw new Error(migrated.stderr);
  }
  const created = await runCli(["apikey", "create", "--org", "fanout", "--create-org"], env);
  if (created.code !== 0) throw new Error(created.stderr);
  const apiKey = created.stdout.trim();
  const server = await startServerProcess({ ...env, LOG_LEVEL: "info" });
  const pid = server.child.pid!;
  try {
    const wsUrl = `${server.url.replace(/^http/, "ws")}/graphql`;
    const baseline = rssKiB(pid);
    const subscribers: Subscriber[] = [];
    const connectStarted = performance.now();
    for (let i = 0; i < n; i += 250) {
      subscribers.push(...(await Promise.all(Array.from({ length: Math.min(250, n - i) }, () => openSubscriber(wsUrl, apiKey)))));
    }
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const withSubscribers = rssKiB(pid);

    const sent = performance.now();
    const made = await post(server.url, apiKey, "mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { __typename } }", {
      e: "+14155550142",
    });
    if (made.body.data?.createManualPhoneNumber?.__typename !== "CreateManualPhoneNumberSuccess") throw new Error(JSON.stringify(made.body));
    const latencies = (await Promise.all(subscribers.map((s) => s.received))).map((t) => t - sent).sort((a, b) => a - b);
    for (const subscriber of subscribers) subscriber.socket.terminate();
    return {
      subscribers: n,
      database: serverUrl ? "postgresql" : "embedded (PGlite)",
      connectSeconds: Number(connectSeconds.toFixed(1)),
      deliveryMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), max: Math.round(latencies.at(-1)!) },
      serverRssMiB: { idle: Math.round(baseline / 1024), withSubscribers: Math.round(withSubscribers / 1024) },
      serverKiBPerIdleSubscription: Number(((withSubscribers - baseline) / n).toFixed(1)),
    };
  } finally {
    await server.stop();
    await dropDatabase?.();
    await rm(dataDir, { recursive: true, force: true });
  }
}

for (const n of sizes) console.log(JSON.stringify(await run(n), null, 2));

// Start-up time: `npm start` (the README's start command, through npm) from spawn to the first 200
// from /healthz, warm (the schema is up to date, dist/ is built), repeated. The target: a
// warm start on PostgreSQL under 2 s.
//   npm run bench:startup                             PostgreSQL, then the embedded default
//   BENCH_STARTUP_MODES=postgres npm run bench:startup     one mode only (postgres, embedded)
// PostgreSQL: a scratch database (switchboard_startup_<pid>) on BENCH_DATABASE_URL (default
// postgresql://postgres@127.0.0.1:5432/postgres), migrated by a first start that is not counted,
// dropped at the end. Embedded: a temporary DATA_DIR whose first start (initdb, migrations, the demo
// organization) is not counted, removed at the end.
// Environment: BENCH_STARTUP_RUNS (7) warm starts per mode. Another Node line: put it first on PATH
// (npm runs the `node` it finds there), e.g. PATH=~/.cache/switchboard/node-v24.22.3-linux-x64/bin:$PATH.
// Each start is stopped with SIGTERM to npm (which forwards it to the server) before the next.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createScratchDatabase } from "../test/helpers/scratch-database.ts";
import { ROOT } from "./measure.ts";
import { freePort } from "../test/helpers/ports.ts";

const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 7);
const modes = (process.env.BENCH_STARTUP_MODES ?? "postgres,embedded").split(",").map((mode) => mode.trim()).filter(Boolean);
for (const mode of modes) if (mode !== "postgres" && mode !== "embedded") throw new Error(`BENCH_STARTUP_MODES: unknown mode "${mode}" (postgres, embedded)`);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_STARTUP_RUNS must be a positive integer, not ${process.env.BENCH_STARTUP_RUNS}`);

/** The status of GET /healthz, or 0 while nothing answers. */
function healthz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once("error", () => resolve(0));
  });
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** /proc/<pid>/stat's fields after the command name (which is in parentheses and may hold spaces), or undefined once it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds used so far by a process and everything under it: its own user + system time,
 * its waited-for children's (the `--if-stale` check, run by the shell that then `exec`s the server,
 * counts in the server's), and its live descendants'.
 */
function treeCpuMs(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  for (const entry of readdirSync("/proc")) {
    if (/^\d+$/.test(entry) && statFields(Number(entry))?.[1] === String(pid)) ticks += (treeCpuMs(Number(entry)) * CLOCK_TICKS) / 1000;
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

interface Start {
  /** From spawning npm to the first 200 from /healthz. */
  ms: number;
  /** CPU time of npm, the staleness check and the server until then. */
  cpuMs: number;
  /** What the server logged as its own start-up ("startupMs": configuration read to listening). */
  serverMs?: number;
}

/** `npm start` once: timed to the first 200 from /healthz, then stopped with SIGTERM (to npm, by its pid). */
async function timeStart(env: Record<string, string>): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const npm: ChildProcess = spawn("npm", ["start"], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  npm.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let ms: number | undefined;
  let cpuMs = 0;
  try {
    // Every 5 ms: a refused connection costs next to nothing, so the poll barely competes with the start.
    while (ms === undefined) {
      if (npm.exitCode !== null || npm.signalCode !== null) throw new Error(`npm start exited (${npm.exitCode ?? npm.signalCode}) before answering:\n${output}`);
      if ((await healthz(port)) === 200) {
        ms = performance.now() - started;
        cpuMs = treeCpuMs(npm.pid!);
      }
      else if (performance.now() - started > 120_000) throw new Error(`npm start did not answer /healthz in 120 s:\n${output}`);
      else await sleep(5);
    }
  } finally {
    if (npm.exitCode === null && npm.signalCode === null) {
      const exited = once(npm, "exit");
      npm.kill("SIGTERM");
      await exited;
    }
  }
  // npm forwards the signal and exits when its child did; the port must be free again before the next start.
  for (let waited = 0; (await healthz(port)) !== 0; waited += 50) {
    if (waited > 30_000) throw new Error(`the server on port ${port} still answers 30 s after SIGTERM`);
    await sleep(50);
  }
  const serverMs = output.match(/"startupMs":(\d+)/)?.[1];
  return { ms, cpuMs, serverMs: serverMs === undefined ? undefined : Number(serverMs) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

function summary(mode: string, starts: Start[]): string {
  const times = starts.map((start) => start.ms);
  const cpu = starts.map((start) => start.cpuMs);
  const serverTimes = starts.flatMap((start) => (start.serverMs === undefined ? [] : [start.serverMs]));
  const server = serverTimes.length ? `; the server's own startupMs median ${seconds(median(serverTimes))} s` : "";
  return `${mode.padEnd(9)} median ${seconds(median(times))} s, range ${seconds(Math.min(...times))}-${seconds(Math.max(...times))} s over ${times.length} warm starts; CPU median ${seconds(median(cpu))} s, range ${seconds(Math.min(...cpu))}-${seconds(Math.max(...cpu))} s${server}`;
}

async function measure(mode: string, env: Record<string, string>): Promise<Start[]> {
  process.stderr.write(`${mode}: first start (not counted) ... `);
  const first = await timeStart(env);
  process.stderr.write(`${seconds(first.ms)} s\n`);
  const starts: Start[] = [];
  for (let i = 0; i < runs; i++) {
    const start = await timeStart(env);
    process.stderr.write(`${mode}: warm start ${i + 1}/${runs}: ${seconds(start.ms)} s (CPU ${seconds(start.cpuMs)} s)\n`);
    starts.push(start);
  }
  return starts;
}

// The node that `npm start` runs: the first on PATH, not necessarily this process's.
const nodeVersion = execFileSync("node", ["-v"], { env: process.env }).toString().trim();
const [load1, load5] = os.loadavg();
const header = [
  `npm start to the first 200 from /healthz, ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
  `node ${nodeVersion} (npm start's), ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), load average ${load1!.toFixed(2)} / ${load5!.toFixed(2)} (1 / 5 min) at the start`,
];
const results: string[] = [];
const common = { LOG_LEVEL: "info", ENCRYPTION_KEY: randomBytes(32).toString("hex") };

if (modes.includes("postgres")) {
  const name = `switchboard_startup_${process.pid}`;
  const scratch = await createScratchDatabase(serverUrl, name);
  try {
    results.push(summary("postgres", await measure("postgres", { ...common, DATABASE_URL: scratch.url })));
  } finally {
    await scratch.drop();
  }
}
if (modes.includes("embedded")) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "switchboard-startup-"));
  try {
    results.push(summary("embedded", await measure("embedded", { DATABASE_URL: "", DATA_DIR: dataDir, LOG_LEVEL: "info" })));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
process.stdout.write(`${[...header, ...results].join("\n")}\n`);

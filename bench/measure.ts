// What the benchmark reads besides autocannon's figures: the CPU time a process has used (from
// /proc, so it stays right when the machine is busy with other work), the CPU of the PostgreSQL
// backends serving one server, the SQL statements a server sends, and server processes to run.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** User + system CPU milliseconds a process (all its threads) has used, or undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU of the PostgreSQL backends of one application (`application_name`, set by each server's pool)
 * in one database, over a measured interval. Backends are looked up in pg_stat_activity and read
 * from /proc (the server runs on this machine). A backend that starts during the interval counts
 * from zero; one that exits counts up to its last reading (polled every 200 ms).
 */
export class BackendCpu {
  #baseline = new Map<number, number>();
  #last = new Map<number, number>();
  #timer?: NodeJS.Timeout;

  constructor(
    private readonly admin: pg.Client,
    private readonly database: string,
    private readonly applicationName: string,
  ) {}

  async #pids(): Promise<number[]> {
    const { rows } = await this.admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`, [
      this.database,
      this.applicationName,
    ]);
    return rows.map((row) => row.pid);
  }

  async #read(): Promise<void> {
    for (const pid of await this.#pids()) {
      const cpu = processCpuMs(pid);
      if (cpu === undefined) continue;
      if (!this.#baseline.has(pid)) this.#baseline.set(pid, 0);
      this.#last.set(pid, cpu);
    }
  }

  async start(): Promise<void> {
    this.#baseline.clear();
    this.#last.clear();
    for (const pid of await this.#pids()) {
      const cpu = processCpuMs(pid);
      if (cpu === undefined) continue;
      this.#baseline.set(pid, cpu);
      this.#last.set(pid, cpu);
    }
    this.#timer = setInterval(() => void this.#read().catch(() => {}), 200);
  }

  /** CPU milliseconds used since start() and how many backends were seen. */
  async stop(): Promise<{ cpuMs: number; backends: number }> {
    clearInterval(this.#timer);
    await this.#read();
    let cpuMs = 0;
    for (const [pid, last] of this.#last) cpuMs += last - (this.#baseline.get(pid) ?? 0);
    return { cpuMs, backends: this.#last.size };
  }
}

/**
 * A TCP proxy in front of PostgreSQL that counts the statements clients run: simple-protocol
 * Query messages and extended-protocol Execute messages (BEGIN and COMMIT included), and keeps the
 * SQL text of each Query and each bound statement (named prepared statements too). pg_stat_statements needs a server restart to load, and
 * Prisma's query events exist only inside Switchboard, so counting on the wire treats both
 * servers alike. Only used in a separate counting pass: it costs CPU of its own.
 */
export class StatementCounter {
  statements = 0;
  texts: string[] = [];
  /** Each Bind with the SQL last parsed and its parameters (text, or hex when sent binary), to EXPLAIN later. */
  bound: { sql: string; params: (string | null)[] }[] = [];
  #lastParsed = "";
  #named = new Map<string, string>();
  #server?: net.Server;
  #sockets = new Set<net.Socket>();

  constructor(private readonly upstream: { host: string; port: number }) {}

  async listen(): Promise<number> {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(this.upstream.port, this.upstream.host);
      this.#sockets.add(client).add(upstream);
      upstream.pipe(client);
      let buffer: Buffer = Buffer.alloc(0);
      let startup = true;
      client.on("data", (chunk: Buffer) => {
        upstream.write(chunk);
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        for (;;) {
          // The startup packet (and an SSL request) has no type byte; every later message has one.
          const header = startup ? 4 : 5;
          if (buffer.length < header) break;
          const length = buffer.readInt32BE(startup ? 0 : 1);
          const total = startup ? length : length + 1;
          if (buffer.length < total) break;
          if (!startup) this.#message(String.fromCharCode(buffer[0]!), buffer.subarray(5, total));
          else if (length !== 8) startup = false;
          buffer = buffer.subarray(total);
        }
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("close", close).on("error", close);
      upstream.on("close", close).on("error", close);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    return (this.#server.address() as net.AddressInfo).port;
  }

  #message(type: string, body: Buffer) {
    if (type === "Q") {
      this.statements++;
      this.texts.push(body.toString("utf8", 0, body.indexOf(0)));
    } else if (type === "E") {
      this.statements++;
    } else if (type === "P") {
      // Parse: statement name, then the SQL text, both NUL-terminated. A named statement is parsed
      // once per connection and bound by name afterwards.
      const nameEnd = body.indexOf(0);
      const name = body.toString("utf8", 0, nameEnd);
      this.#lastParsed = body.toString("utf8", nameEnd + 1, body.indexOf(0, nameEnd + 1));
      if (name) this.#named.set(name, this.#lastParsed);
    } else if (type === "B") {
      // Bind: portal, then statement name (empty: the statement last parsed).
      const portalEnd = body.indexOf(0);
      const name = body.toString("utf8", portalEnd + 1, body.indexOf(0, portalEnd + 1));
      const sql = (name && this.#named.get(name)) || this.#lastParsed;
      this.texts.push(sql);
      this.bound.push({ sql, params: bindParameters(body) });
    }
  }

  reset() {
    this.statements = 0;
    this.texts = [];
    this.bound = [];
  }

  async close() {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

/** The parameter values of a Bind message: portal, statement, format codes, then the values. */
function bindParameters(body: Buffer): (string | null)[] {
  let offset = body.indexOf(0) + 1;
  offset = body.indexOf(0, offset) + 1;
  const formatCount = body.readInt16BE(offset);
  offset += 2;
  const formats: number[] = [];
  for (let i = 0; i < formatCount; i++, offset += 2) formats.push(body.readInt16BE(offset));
  const count = body.readInt16BE(offset);
  offset += 2;
  const values: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length < 0) {
      values.push(null);
      continue;
    }
    const binary = (formats.length === 1 ? formats[0] : formats[i]) === 1;
    values.push(body.toString(binary ? "hex" : "utf8", offset, offset + length));
    offset += length;
  }
  return values;
}

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** http://host:port (without /graphql). */
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs a server script as its own process (`node <script> [args]`, e.g. "scripts/run.mjs serve";
 * a TypeScript script through tsx: `node --import tsx bench/reference-server.ts`) and waits for the
 * `"url":"…/graphql"` line it logs.
 */
export async function startServer(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerProcess> {
  const [file, ...args] = script.split(" ");
  const loader = file!.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, file!, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 120 s:\n${output}`)), 120_000);
    const check = () => {
      const match = output.match(/"url":"(http:\/\/[^"]+)\/graphql"/);
      if (match) {
        clearTimeout(timer);
        child.off("exit", exited);
        resolve(match[1]!);
      }
    };
    const exited = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output}`));
    };
    child.stdout!.on("data", check);
    child.once("exit", exited);
  });
  return {
    name,
    child,
    pid: child.pid!,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await once(child, "exit");
      clearTimeout(timer);
    },
  };
}

/** One GraphQL POST. */
export async function graphql(url: string, apiKey: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The `switchboard` command as `npm start` and the package's bin run it: the bundle in dist/, e.g.
 * `[...SWITCHBOARD, "serve"]`. Rebuilt here first, once per process, when src/ changed since it was built.
 */
export const SWITCHBOARD = ["dist/switchboard.js"];
const built = spawnSync(process.execPath, [path.join(ROOT, "scripts/build.mjs"), "--if-stale"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
if (built.status !== 0) throw new Error(`scripts/build.mjs --if-stale failed (exit ${built.status ?? built.signal})`);

/** Server processes still running; killed when the test process exits (a cancelled test does not stop its own). */
const started = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of started) child.kill("SIGKILL");
});

/**
 * Starts `switchboard serve` (what `npm start` runs) as its own process and waits until it listens.
 * SERVER_NODE_ARGS adds Node options (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to profile a benchmark's server).
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const nodeArgs = (process.env.SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...SWITCHBOARD, "serve"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.add(child);
  child.once("exit", () => started.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server that never started is not left behind holding its port and DATA_DIR.
      child.kill("SIGKILL");
      reject(new Error(`server did not start in 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    const check = () => {
      const match = stdout.match(/"url":"(http:\/\/[^"]+)\/graphql"/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stdout}\n${stderr}`));
    });
  });
  return {
    child,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      // Already gone (exited, or killed by a signal): nothing to wait for.
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      return code as number | null;
    },
  };
}

/** Runs a CLI script to completion. */
export async function runScript(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...loader, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, "exit");
  return { code: code as number | null, stdout, stderr };
}

/** Runs `switchboard <args>` (e.g. `["apikey", "create", "--org", "acme", "--create-org"]`), the bundle in dist/, to completion. */
export async function runCli(args: string[], env: Record<string, string>) {
  return runScript(SWITCHBOARD[0]!, args, env);
}

/** A GraphQL POST over real HTTP. */
export async function post(url: string, apiKey: string, query: string, variables?: unknown) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

/** Reads until `done` holds (every 200 ms), or fails after `timeoutMs` naming `what` and the last value. */
export async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

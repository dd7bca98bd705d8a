import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { createOrganization, getEnvironment, processEnvironment, sendRaw } from "./helpers/harness.ts";
import { ROOT, runCli, waitFor } from "./helpers/processes.ts";
import { freePort } from "./helpers/ports.ts";

// How the server meets a user and an operator as a process: `npm start` runs the compiled entry
// under plain node and signals to npm reach it; a start that cannot work is refused at once with
// one line; the `switchboard` command's help and the apikey CLI's lookups.

/** True when something accepts connections on 127.0.0.1:port. */
async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Child processes of `pid`, with their command lines (Linux /proc). */
function childrenOf(pid: number): Array<{ pid: number; cmdline: string }> {
  const children = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent; the command name (field 2) may hold spaces, so read after its ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim() });
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface NpmRun {
  npm: ChildProcess;
  output: () => string;
}

function npmRun(script: string[], env: Record<string, string>): NpmRun {
  const npm = spawn("npm", script, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  npm.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { npm, output: () => output };
}

/** `npm start` until the server answers a request; returns npm and the server process under it. */
async function npmStart(env: Record<string, string>, port: number) {
  const run = npmRun(["start"], { ...env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info" });
  await waitFor(
    `npm start to answer on port ${port}`,
    async () => {
      if (run.npm.exitCode !== null) throw new Error(`npm start exited with ${run.npm.exitCode}:\n${run.output()}`);
      return fetch(`http://127.0.0.1:${port}/graphql?query=%7B__typename%7D`).then((r) => r.status, () => 0);
    },
    (status) => status > 0,
    180_000,
  );
  const children = childrenOf(run.npm.pid!);
  assert.equal(children.length, 1, `npm runs the server as its only child: ${JSON.stringify(children)}`);
  return { ...run, server: children[0]! };
}

describe("the production entry and its processes", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const scratchDir = async (prefix: string) => {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };

  test("npm start runs the compiled server under plain node; SIGTERM or SIGINT to npm stops it and frees the port; so does npm being killed", async () => {
    const env = await processEnvironment("switchboard-npm-start", {});
    const port = await freePort();
    const stopped = async (run: Awaited<ReturnType<typeof npmStart>>, what: string) => {
      await waitFor(`${what}: the server (pid ${run.server.pid}) to exit`, async () => alive(run.server.pid), (up) => !up, 30_000);
      assert.equal(await listening(port), false, `${what}: port ${port} is free`);
      assert.ok(!existsSync(path.join(env.DATA_DIR!, "embedded-server.json")), `${what}: DATA_DIR is released`);
    };

    const first = await npmStart(env, port);
    cleanups.push(async () => alive(first.server.pid) && process.kill(first.server.pid, "SIGKILL"));
    assert.match(first.server.cmdline, /^\S*node scripts\/run\.mjs serve$/, "the bundle in dist/ under plain node, no TypeScript loader, no shell in between");
    assert.deepEqual(childrenOf(first.server.pid), [], "no helper processes (such as esbuild) at run time");
    first.npm.kill("SIGTERM");
    await once(first.npm, "exit");
    await stopped(first, "SIGTERM to npm");
    assert.match(first.output(), /"signal":"SIGTERM".*shutting down/);
    assert.match(first.output(), /"msg":"stopped"/, "the shutdown was graceful");

    const second = await npmStart(env, port);
    cleanups.push(async () => alive(second.server.pid) && process.kill(second.server.pid, "SIGKILL"));
    second.npm.kill("SIGINT");
    await once(second.npm, "exit");
    await stopped(second, "SIGINT to npm");
    assert.match(second.output(), /"signal":"SIGINT".*shutting down/);

    const third = await npmStart(env, port);
    cleanups.push(async () => alive(third.server.pid) && process.kill(third.server.pid, "SIGKILL"));
    third.npm.kill("SIGKILL");
    await stopped(third, "npm killed outright");
    assert.match(third.output(), /"signal":"parent exited".*shutting down/);
  });

  test("npm run watch follows PORT, names the URL it tries, and stops with npm", async () => {
    const port = await freePort();
    const run = npmRun(["run", "watch"], { SB_KEY: "sb_live_not_a_real_key", SB_URL: "", PORT: String(port), HOST: "" });
    const url = `ws://127.0.0.1:${port}/graphql`;
    await waitFor("watch to name its URL", async () => run.output(), (output) => output.includes(`connecting to ${url}`), 60_000);
    const children = childrenOf(run.npm.pid!);
    assert.equal(children.length, 1, JSON.stringify(children));
    const watcher = children[0]!.pid;
    run.npm.kill("SIGTERM");
    await once(run.npm, "exit");
    await waitFor("the watcher to exit", async () => alive(watcher), (up) => !up, 10_000);

  });

  test("a taken port is refused at once with one line and exit 2, before the database is opened or anything seeded", async () => {
    const holder = net.createServer().listen(0, "127.0.0.1");
    await once(holder, "listening");
    cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
    const port = (holder.address() as net.AddressInfo).port;
    const dataDir = await scratchDir("switchboard-port-taken-");
    const result = await runCli(["serve"], { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: "", SEED_DEMO: "true" });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, `one line:\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.doesNotMatch(result.stderr + result.stdout, /shown only this once|sb_live_|Try: curl/);
    assert.ok(!existsSync(path.join(dataDir, "pglite")), "the embedded database was never opened, so no Demo organization exists");
  });

  test("an unreachable DATABASE_URL is refused with one line and exit 2", async () => {
    const port = await freePort();
    const result = await runCli(["serve"], { PORT: "0", DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/switchboard` });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim(), `Cannot reach the PostgreSQL server of DATABASE_URL (127.0.0.1:${port}, database switchboard): connection refused (is it running, on that port?).`);
    const migrate = await runCli(["migrate"], { DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/switchboard` });
    assert.equal(migrate.code, 2, migrate.stderr);
    assert.equal(migrate.stderr.trim().split("\n").length, 1, migrate.stderr);
  });

  test("--help prints usage and exits 0 without starting anything; an unknown option or command is one line and exit 2", async () => {
    const top = await runCli(["--help"], {});
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /Usage: switchboard <command>/);
    assert.match(top.stdout, /serve .*\n.*migrate .*\n.*apikey /);
    // A taken port makes a real start fail with exit 2 at once; help never gets that far.
    const holder = net.createServer().listen(0, "127.0.0.1");
    await once(holder, "listening");
    const taken = String((holder.address() as net.AddressInfo).port);
    for (const command of ["serve", "migrate", "apikey"]) {
      const result = await runCli([command, "--help"], { PORT: taken, HOST: "127.0.0.1", DATA_DIR: path.join(tmpdir(), "switchboard-never-created") });
      assert.equal(result.code, 0, `${command} --help: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`switchboard ${command}`));
      assert.doesNotMatch(result.stdout, /listening/);
    }
    await new Promise((resolve) => holder.close(resolve));
    assert.ok(!existsSync(path.join(tmpdir(), "switchboard-never-created")));
    const unknownOption = await runCli(["serve", "--port", "4000"], {});
    assert.equal(unknownOption.code, 2);
    assert.equal(unknownOption.stderr, "switchboard serve: Unknown option '--port' (see switchboard serve --help)\n");
    const unknownCommand = await runCli(["start"], {});
    assert.equal(unknownCommand.code, 2);
    assert.match(unknownCommand.stderr, /^switchboard: unknown command "start"/);
    const apikeyOption = await runCli(["apikey", "list", "--organization", "x"], {});
    assert.equal(apikeyOption.code, 2);
    assert.equal(apikeyOption.stderr.trim().split("\n").length, 1, apikeyOption.stderr);
  });
});

describe("the apikey CLI", () => {
  const cliEnv = async () => {
    const env = await getEnvironment();
    return { DATA_DIR: env.config.dataDir, DATABASE_URL: env.config.databaseUrl ?? "", LOG_LEVEL: "silent" };
  };

  test("create --org with a name no organization has is refused unless --create-org is given", async () => {
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    const existing = await createOrganization("cli-existing");
    const typo = `${existing.name}x`;
    const refused = await runCli(["apikey", "create", "--org", typo], await cliEnv());
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`No organization named "${typo}" \\(looked up by exact name; existing: .*\\)\\. Add --create-org to create it\\.`));
    assert.equal(refused.stdout, "", "no secret");
    assert.equal(await prisma.organization.count({ where: { name: typo } }), 0, "no organization was created");

    const created = await runCli(["apikey", "create", "--org", typo, "--create-org", "--scopes", "numbers:read"], await cliEnv());
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, new RegExp(`Created organization "${typo}"`));
    const viewer = await sendRaw(created.stdout.trim(), "{ viewer { organization { name } scopes } }");
    assert.deepEqual(viewer.body.data, { viewer: { organization: { name: typo }, scopes: ["numbers:read"] } });

    const again = await runCli(["apikey", "create", "--org", existing.name], await cliEnv());
    assert.equal(again.code, 0, "an existing organization needs no flag");
  });

  test("revoke takes the ApiKey.id the API returns, the raw id that list prints, or the key's prefix", async () => {
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    const organization = await createOrganization("cli-revoke");
    const secrets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await runCli(["apikey", "create", "--org", organization.name, "--name", `key ${i}`], await cliEnv());
      assert.equal(created.code, 0, created.stderr);
      secrets.push(created.stdout.trim());
    }
    const listed = await sendRaw(organization.secret, "{ apiKeys(first: 10) { edges { node { id name } } } }");
    const apiId = listed.body.data.apiKeys.edges.find((edge: { node: { name: string } }) => edge.node.name === "key 0").node.id as string;
    const cliList = await runCli(["apikey", "list", "--org", organization.name], await cliEnv());
    const columns = (name: string) => cliList.stdout.split("\n").find((line) => line.endsWith(name))!.split(/\s+/);
    const rawId = columns("key 1")[0]!;
    const prefix = columns("key 2")[1]!; // as list prints it, "sb_live_AbCd…"
    assert.ok(secrets[2]!.startsWith(prefix.replace(/…$/, "")), prefix);

    for (const [i, id] of [apiId, rawId, prefix].entries()) {
      const revoked = await runCli(["apikey", "revoke", "--id", id], await cliEnv());
      assert.equal(revoked.code, 0, `revoke --id ${id}: ${revoked.stderr}`);
      const key = await prisma.apiKey.findFirstOrThrow({ where: { organizationId: organization.id, name: `key ${i}` } });
      assert.ok(key.revokedAt, `key ${i} is revoked (by ${id})`);
    }
    const unknown = await runCli(["apikey", "revoke", "--id", "QXBpS2V5OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA=="], await cliEnv());
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No API key/);

    // A prefix two keys share revokes neither and names both.
    const twins = await Promise.all(
      ["twin a", "twin b"].map((name) =>
        prisma.apiKey.create({ data: { organizationId: organization.id, name, mode: "LIVE", prefix: "sb_live_Tw1n", secretHash: `twin-${name}-${Date.now()}`, scopes: ["*"] } }),
      ),
    );
    const ambiguous = await runCli(["apikey", "revoke", "--id", "sb_live_Tw1n…"], await cliEnv());
    assert.equal(ambiguous.code, 2);
    for (const twin of twins) assert.ok(ambiguous.stderr.includes(twin.id), ambiguous.stderr);
    for (const twin of twins) assert.equal((await prisma.apiKey.findUniqueOrThrow({ where: { id: twin.id } })).revokedAt, null);
  });
});

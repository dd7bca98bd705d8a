// The embedded PostgreSQL lets in only this server and its CLI: its loopback port asks for the
// password of this start (SCRAM-SHA-256), which only DATA_DIR's owner can read.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import pg from "pg";
import { EMBEDDED_LOCK_FILE, startEmbeddedPostgres, type EmbeddedLock, type EmbeddedPostgres } from "../src/db/embedded.ts";
import { testTarget } from "./helpers/harness.ts";
import { runCli } from "./helpers/processes.ts";

/** A typed frontend message. */
function frontendMessage(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

/**
 * What a client that does not authenticate gets: it sends the startup message and then `next`
 * straight away; the server's bytes until it closes the connection.
 */
async function withoutAuthenticating(host: string, port: number, next: Buffer): Promise<Buffer> {
  const socket = connect(port, host);
  await once(socket, "connect");
  const parameters = Buffer.from("user\0postgres\0database\0postgres\0\0", "utf8");
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + parameters.length, 0);
  startup.writeInt32BE(196_608, 4);
  socket.write(Buffer.concat([startup, parameters, next]));
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  await once(socket, "close");
  return Buffer.concat(received);
}

/** The backend messages of a reply, by type letter. */
function messageTypes(reply: Buffer): string[] {
  const types: string[] = [];
  for (let at = 0; at + 5 <= reply.length; at += 1 + reply.readInt32BE(at + 1)) types.push(String.fromCharCode(reply[at]!));
  return types;
}

describe("access to the embedded database", { skip: testTarget() === "postgres" ? "the embedded database is tested on the embedded pass" : false }, () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres | undefined;
  after(async () => {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("refuses a connection without the password, lets the server's own URL and the CLI in, and keeps the password owner-only", { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-embedded-access-"));
    // A DATA_DIR an older version left after a crash: its lock names a dead process and a URL
    // without a password, readable by everyone.
    await mkdir(dataDir, { recursive: true });
    const lockPath = path.join(dataDir, EMBEDDED_LOCK_FILE);
    await writeFile(lockPath, JSON.stringify({ pid: 2 ** 22 + 1, url: "postgresql://postgres@127.0.0.1:1/postgres" }), { mode: 0o644 });

    embedded = await startEmbeddedPostgres(dataDir);
    const lock = JSON.parse(await readFile(lockPath, "utf8")) as EmbeddedLock;
    assert.equal(lock.pid, process.pid);
    assert.equal(lock.url, embedded.url);
    assert.equal((await stat(lockPath)).mode & 0o777, 0o600, "the lock file holds the password: owner-only");
    const url = new URL(embedded.url);
    assert.equal(url.hostname, "127.0.0.1");
    assert.ok(url.password.length >= 32, "the URL carries a long random password");
    assert.ok(lock.socketDir, "the lock names the wire server's private socket directory");
    assert.equal((await stat(lock.socketDir)).mode & 0o777, 0o700, "only the owner reaches the wire server's Unix socket");

    // The server's URL connects.
    const owner = new pg.Client(embedded.url);
    await owner.connect();
    assert.deepEqual((await owner.query("SELECT current_user AS who")).rows, [{ who: "postgres" }]);
    await owner.end();

    // Without the password node-postgres gives up, since the server asks for SCRAM-SHA-256 ...
    const withoutPassword = new URL(embedded.url);
    withoutPassword.password = "";
    await assert.rejects(new pg.Client(withoutPassword.toString()).connect(), /password/);
    // ... and a wrong one is refused by the server, as PostgreSQL refuses it.
    const wrong = new URL(embedded.url);
    wrong.password = "not-the-password";
    await assert.rejects(new pg.Client(wrong.toString()).connect(), (error: Error & { code?: string }) => {
      assert.equal(error.code, "28P01");
      assert.match(error.message, /password authentication failed for user "postgres"/);
      return true;
    });

    // A client that ignores the request for a password and sends a query gets no rows: FATAL 28P01,
    // then the connection closes. So does one that answers the request with garbage.
    const port = Number(url.port);
    for (const next of [
      frontendMessage("Q", Buffer.from("SELECT * FROM pg_catalog.pg_tables\0", "utf8")),
      frontendMessage("p", Buffer.from("SCRAM-SHA-256\0\0\0\0\x05n,,r=", "latin1")),
      frontendMessage("p", Buffer.from("not a SASL message at all", "utf8")),
    ]) {
      const reply = await withoutAuthenticating(url.hostname, port, next);
      const types = messageTypes(reply);
      assert.deepEqual(types, ["R", "E"], `the server asks for a password, then refuses: ${types.join(",")}`);
      assert.match(reply.toString("utf8"), /28P01/);
    }

    // The CLI finds the URL in the lock and goes through the running "server" (this process): it
    // applies the migrations through the Prisma CLI (a child process given the URL), then creates a key.
    const env = { DATA_DIR: dataDir, DATABASE_URL: "", ENCRYPTION_KEY: "" };
    const created = await runCli(["apikey", "create", "--org", "Embedded access", "--create-org", "--scopes", "numbers:read"], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /server is running/);
    assert.match(created.stdout, /^sb_live_/);

    await embedded.stop();
    embedded = undefined;
    await assert.rejects(stat(lockPath), { code: "ENOENT" }, "a stopped server leaves no password behind");
    await assert.rejects(stat(lock.socketDir), { code: "ENOENT" }, "nor its socket directory");
  });
});

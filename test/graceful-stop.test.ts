import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, test } from "node:test";
import { processEnvironment } from "./helpers/harness.ts";
import { startServerProcess, type ServerProcess } from "./helpers/processes.ts";

// A graceful stop (SIGTERM) finishes in-flight requests and exits. Found while benchmarking: a
// client that stalled in the middle of sending its body left a request that never settled, and the
// server then waited for it forever after SIGTERM, still holding its port and database.

/** Opens a connection and sends a POST whose body stops after 10 of its 100 declared bytes. */
async function halfSentRequest(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  socket.write(`POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":`);
  // The server has the headers and part of the body: the request is in flight.
  await sleep(500);
  return socket;
}

/** SIGTERM, and the exit code, failing rather than hanging if the server does not stop within 30 s. */
async function stopWithin30s(server: ServerProcess): Promise<number | null> {
  const deadline = sleep(30_000, "still running 30 s after SIGTERM", { ref: false });
  const outcome = await Promise.race([server.stop(), deadline]);
  if (typeof outcome === "string") {
    server.child.kill("SIGKILL");
    assert.fail(outcome);
  }
  return outcome;
}

describe("graceful stop", () => {
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill("SIGKILL");
  });

  test("a client that disconnects halfway through its body does not hold the stop", async () => {
    const server = await startServerProcess(await processEnvironment("graceful-stop-aborted", {}));
    servers.push(server);
    const socket = await halfSentRequest(server.url);
    socket.destroy();
    await sleep(200);
    assert.equal(await stopWithin30s(server), 0, server.stderr());
    assert.match(server.stdout(), /"msg":"stopped"/);
    assert.doesNotMatch(server.stdout(), /requests still in flight/, "the abandoned request had ended");
  });

  test("a client still sending when the server stops is cut off after the request deadline", async () => {
    const server = await startServerProcess(await processEnvironment("graceful-stop-slow", { REQUEST_TIMEOUT_MS: "1000" }));
    servers.push(server);
    const socket = await halfSentRequest(server.url);
    socket.on("error", () => {});
    assert.equal(await stopWithin30s(server), 0, server.stderr());
    assert.match(server.stdout(), /"requests":1,"msg":"stopping with requests still in flight"/);
    socket.destroy();
  });
});

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A password in front of the embedded PostgreSQL. PGlite does no authentication (it is one
 * embedded session) and `@electric-sql/pglite-socket` serves whoever connects, so the embedded
 * database's wire server listens on a Unix socket in a private directory, and this loopback TCP
 * listener lets a connection through to it only after SCRAM-SHA-256 with the password, the method
 * PostgreSQL itself uses: node-postgres, Prisma and psql speak it, the password never crosses the
 * socket, and the client checks the server's proof in turn.
 *
 * The front handles the start of a connection (SSL refused with 'N' as PostgreSQL does without
 * TLS, the startup message, the SASL exchange) and then replays the client's startup message to
 * the embedded server, whose AuthenticationOk, parameters and ReadyForQuery complete the
 * handshake. A connection that fails gets PostgreSQL's FATAL 28P01 and is closed; nothing it sent
 * reaches the database.
 */
export interface WireAuthFront {
  host: string;
  port: number;
  close(): Promise<void>;
}

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
const MAX_STARTUP_BYTES = 10_000;
const MAX_SASL_BYTES = 2_000;
/** PostgreSQL's default scram_iterations. */
const ITERATIONS = 4096;
/** A client that has not authenticated by then is dropped. */
const AUTH_TIMEOUT_MS = 10_000;

interface ScramVerifier {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac("sha256", key).update(text).digest();
}

function scramVerifier(password: string): ScramVerifier {
  const salt = randomBytes(16);
  // SASLprep of a password made of base64url characters is the password itself.
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, "sha256");
  return { salt, storedKey: createHash("sha256").update(hmac(salted, "Client Key")).digest(), serverKey: hmac(salted, "Server Key") };
}

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function authentication(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(4 + data.length);
  body.writeInt32BE(code, 0);
  data.copy(body, 4);
  return message("R", body);
}

function fatal(code: string, text: string): Buffer {
  const fields = [`SFATAL`, `VFATAL`, `C${code}`, `M${text}`].map((field) => `${field}\0`).join("");
  return message("E", Buffer.from(`${fields}\0`, "utf8"));
}

/** Parses `a=1,b=2` SCRAM attributes (values may contain '='). */
function attributes(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) result.set(part[0]!, part.slice(2));
  }
  return result;
}

class AuthenticationFailed extends Error {}

/**
 * One client connection: reads the start of the conversation, authenticates, then pipes to `upstream`.
 */
function serveConnection(socket: Socket, verifier: ScramVerifier, upstream: string): void {
  let buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  let state: "startup" | "sasl-initial" | "sasl-final" | "done" = "startup";
  let startup: Buffer = Buffer.alloc(0);
  let user = "";
  let clientFirstBare = "";
  let serverFirst = "";
  let nonce = "";
  let gs2Header = "";

  socket.setNoDelay(true);
  socket.setTimeout(AUTH_TIMEOUT_MS, () => socket.destroy());
  socket.on("error", () => socket.destroy());

  const refuse = (code: string, text: string) => {
    state = "done";
    socket.off("data", onData);
    socket.end(fatal(code, text));
  };

  /** The next typed message ('p' is the only one a client may send while authenticating), if complete. */
  const takePasswordMessage = (): Buffer | undefined => {
    if (buffer.length < 5) return undefined;
    const type = String.fromCharCode(buffer[0]!);
    const length = buffer.readInt32BE(1);
    if (type !== "p" || length < 4 || length > MAX_SASL_BYTES) throw new AuthenticationFailed();
    if (buffer.length < 1 + length) return undefined;
    const body = buffer.subarray(5, 1 + length);
    buffer = buffer.subarray(1 + length);
    return body;
  };

  const step = (): boolean => {
    if (state === "startup") {
      if (buffer.length < 8) return false;
      const length = buffer.readInt32BE(0);
      const code = buffer.readInt32BE(4);
      if ((code === SSL_REQUEST || code === GSSENC_REQUEST) && length === 8) {
        buffer = buffer.subarray(8);
        socket.write("N");
        return true;
      }
      if (code === CANCEL_REQUEST) {
        // PGlite has no backend to cancel (pglite-socket drops these too).
        state = "done";
        socket.destroy();
        return false;
      }
      if (code !== PROTOCOL_3 || length < 8 || length > MAX_STARTUP_BYTES) {
        refuse("08P01", "unsupported frontend protocol or malformed startup packet");
        return false;
      }
      if (buffer.length < length) return false;
      startup = Buffer.from(buffer.subarray(0, length));
      buffer = buffer.subarray(length);
      const parameters = startup.subarray(8).toString("utf8").split("\0");
      for (let i = 0; i + 1 < parameters.length; i += 2) if (parameters[i] === "user") user = parameters[i + 1]!;
      state = "sasl-initial";
      socket.write(authentication(10, Buffer.from("SCRAM-SHA-256\0\0", "latin1")));
      return true;
    }
    if (state === "sasl-initial") {
      const body = takePasswordMessage();
      if (!body) return false;
      const end = body.indexOf(0);
      if (end < 0 || body.subarray(0, end).toString("latin1") !== "SCRAM-SHA-256" || body.length < end + 5) throw new AuthenticationFailed();
      const clientFirst = body.subarray(end + 5).toString("utf8");
      // gs2 header: "n,," (no channel binding) or "y,," (client could bind, server cannot); no authzid.
      const match = /^([ny]),,(n=[^,]*,r=([^,]+))$/.exec(clientFirst);
      if (!match) throw new AuthenticationFailed();
      gs2Header = `${match[1]},,`;
      clientFirstBare = match[2]!;
      nonce = match[3]! + randomBytes(18).toString("base64");
      serverFirst = `r=${nonce},s=${verifier.salt.toString("base64")},i=${ITERATIONS}`;
      state = "sasl-final";
      socket.write(authentication(11, Buffer.from(serverFirst, "utf8")));
      return true;
    }
    if (state === "sasl-final") {
      const body = takePasswordMessage();
      if (!body) return false;
      const clientFinal = body.toString("utf8");
      const proofAt = clientFinal.lastIndexOf(",p=");
      if (proofAt < 0) throw new AuthenticationFailed();
      const withoutProof = clientFinal.slice(0, proofAt);
      const fields = attributes(withoutProof);
      if (fields.get("c") !== Buffer.from(gs2Header).toString("base64") || fields.get("r") !== nonce) throw new AuthenticationFailed();
      const proof = Buffer.from(clientFinal.slice(proofAt + 3), "base64");
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const signature = hmac(verifier.storedKey, authMessage);
      if (proof.length !== signature.length) throw new AuthenticationFailed();
      const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
      if (!timingSafeEqual(createHash("sha256").update(clientKey).digest(), verifier.storedKey)) throw new AuthenticationFailed();
      state = "done";
      socket.write(authentication(12, Buffer.from(`v=${hmac(verifier.serverKey, authMessage).toString("base64")}`, "utf8")));
      passThrough();
      return false;
    }
    return false;
  };

  const passThrough = () => {
    socket.off("data", onData);
    socket.setTimeout(0);
    socket.pause();
    const rest = buffer;
    const database = connect(upstream, () => {
      database.setNoDelay?.(true);
      // The embedded server answers the replayed startup message with AuthenticationOk onwards.
      database.write(startup);
      if (rest.length) database.write(rest);
      socket.pipe(database);
      database.pipe(socket);
      socket.resume();
    });
    database.on("error", () => socket.destroy());
    socket.on("close", () => database.destroy());
    database.on("close", () => socket.destroy());
  };

  function onData(chunk: Buffer) {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    try {
      while (state !== "done" && step());
    } catch (error) {
      // Whatever a client sends, it never crashes the server: a malformed exchange is refused too.
      if (error instanceof AuthenticationFailed) refuse("28P01", `password authentication failed for user "${user}"`);
      else refuse("08P01", "invalid authentication exchange");
    }
  }
  socket.on("data", onData);
}

/**
 * Listens on `host` (a loopback address; port chosen by the system) and lets clients that prove
 * `password` through to the wire server listening on the Unix socket `upstream`.
 */
export async function startWireAuthFront(options: { host: string; password: string; upstream: string }): Promise<WireAuthFront> {
  const verifier = scramVerifier(options.password);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serveConnection(socket, verifier, options.upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the embedded database's front has no TCP address");
  return {
    host: options.host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

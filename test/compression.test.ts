import assert from "node:assert/strict";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { describe, test } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { negotiateEncoding } from "../src/http/compression.ts";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";
import { seedNumberMix } from "./helpers/number-mix.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

// What a browser or HTTP client receives on the wire: raw bytes over node:http (fetch would
// decompress them and hide what was sent).

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function raw(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const url = new URL(path, await (await getEnvironment()).url());
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

function decoded({ headers, body }: RawResponse): string {
  const encoding = headers["content-encoding"];
  if (encoding === "br") return brotliDecompressSync(body).toString("utf8");
  if (encoding === "gzip") return gunzipSync(body).toString("utf8");
  assert.equal(encoding, undefined, `unexpected content-encoding ${encoding}`);
  return body.toString("utf8");
}

const graphqlPost = (key: string, query: string, acceptEncoding?: string) =>
  raw("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, ...(acceptEncoding ? { "accept-encoding": acceptEncoding } : {}) },
    body: JSON.stringify({ query }),
  });

const CreateNumber = graphql(`
  mutation CompressionCreateNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
    }
  }
`);

describe("response compression", () => {
  test("Accept-Encoding picks the best encoding the client accepts, by q-value, brotli first on a tie", () => {
    assert.equal(negotiateEncoding("gzip, deflate, br, zstd"), "br");
    assert.equal(negotiateEncoding("gzip, deflate"), "gzip");
    assert.equal(negotiateEncoding("br;q=0.5, gzip;q=0.8"), "gzip");
    assert.equal(negotiateEncoding("br;q=0, *"), "gzip");
    assert.equal(negotiateEncoding("*"), "br");
    assert.equal(negotiateEncoding("identity"), undefined);
    assert.equal(negotiateEncoding("deflate, zstd"), undefined);
    assert.equal(negotiateEncoding("gzip;q=0"), undefined);
    assert.equal(negotiateEncoding(""), undefined);
    assert.equal(negotiateEncoding(null), undefined);
  });

  test("the GraphiQL page comes compressed with brotli or gzip when asked, and whole when not", async () => {
    const page = (acceptEncoding?: string) => raw("/graphql", { headers: { accept: "text/html", ...(acceptEncoding ? { "accept-encoding": acceptEncoding } : {}) } });
    const plain = await page();
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.match(plain.headers["content-type"] ?? "", /^text\/html/);
    const html = plain.body.toString("utf8");
    assert.match(html, /<title>Switchboard<\/title>/);
    // The schema is in the page, so docs and autocomplete work before a key is entered.
    assert.match(html, /"__schema":\{/);
    assert.match(html, /"name":"PhoneNumber"/);
    for (const encoding of ["br", "gzip"] as const) {
      const response = await page(encoding === "br" ? "gzip, deflate, br" : "gzip, deflate");
      assert.equal(response.status, 200);
      assert.equal(response.headers["content-encoding"], encoding);
      assert.match(response.headers.vary ?? "", /accept-encoding/i);
      assert.equal(Number(response.headers["content-length"]), response.body.byteLength);
      assert.ok(response.body.byteLength * 3 < plain.body.byteLength, `${encoding}: ${response.body.byteLength} of ${plain.body.byteLength} bytes`);
      assert.equal(decoded(response), html);
    }
  });

  test("a large GraphQL answer is compressed by Accept-Encoding; a small one, or one to a client that accepts none, is not", async () => {
    const org = await createOrganization("compress");
    const large = "{ __schema { types { name description fields { name description } } } }";
    const identity = await graphqlPost(org.secret, large);
    assert.equal(identity.status, 200);
    assert.equal(identity.headers["content-encoding"], undefined);
    const expected = JSON.parse(identity.body.toString("utf8")) as { data: { __schema: { types: unknown[] } } };
    assert.ok(expected.data.__schema.types.length > 50);
    for (const [acceptEncoding, encoding] of [["br", "br"], ["gzip", "gzip"], ["gzip;q=1, br;q=0.1", "gzip"]] as const) {
      const response = await graphqlPost(org.secret, large, acceptEncoding);
      assert.equal(response.status, 200);
      assert.equal(response.headers["content-encoding"], encoding);
      assert.match(response.headers["content-type"] ?? "", /application\/(graphql-response\+)?json/);
      assert.deepEqual(JSON.parse(decoded(response)), expected);
    }
    const small = await graphqlPost(org.secret, "{ __typename }", "gzip, br");
    assert.equal(small.headers["content-encoding"], undefined);
    assert.deepEqual(JSON.parse(small.body.toString("utf8")), { data: { __typename: "Query" } });
    // Errors are answers too: a large one is compressed with its status kept.
    const refused = await raw("/graphql", { method: "POST", headers: { "content-type": "application/json", "accept-encoding": "br" }, body: JSON.stringify({ query: large }) });
    assert.equal(refused.status, 401);
    assert.equal((JSON.parse(decoded(refused)) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, "UNAUTHENTICATED");
  });

  test("a compiled (pre-serialized) list read is compressed like any other answer", async () => {
    const { org } = await seedNumberMix("compress-compiled", 40);
    const query = "{ phoneNumbers(first: 40) { totalCount edges { cursor node { id e164 label status source } } } }";
    const identity = JSON.parse((await graphqlPost(org.secret, query)).body.toString("utf8")) as { data: { phoneNumbers: { edges: unknown[] } } };
    assert.ok(identity.data.phoneNumbers.edges.length > 20);
    const response = await graphqlPost(org.secret, query, "br");
    assert.equal(response.headers["content-encoding"], "br");
    assert.deepEqual(JSON.parse(decoded(response)), identity);
  });

  test("an SSE subscription still streams each event as it happens when the client accepts compression", async () => {
    const org = await createOrganization("compress-sse");
    const url = new URL("/graphql", await (await getEnvironment()).url());
    const events: string[] = [];
    let notify: () => void = () => {};
    const response = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      const req = httpRequest(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", "accept-encoding": "gzip, br", "x-api-key": org.secret },
      }, resolve);
      req.on("error", reject);
      req.end(JSON.stringify({ query: "subscription { phoneNumberSetupStatusChanged { phoneNumber { e164 } current { status } } }" }));
    });
    try {
      assert.equal(response.statusCode, 200);
      assert.match(response.headers["content-type"] ?? "", /text\/event-stream/);
      // yoga marks event streams `Content-Encoding: none` so proxies do not buffer them to compress either.
      assert.ok(!["br", "gzip"].includes(response.headers["content-encoding"] ?? ""), `content-encoding ${response.headers["content-encoding"]}`);
      response.on("data", (chunk: Buffer) => {
        events.push(...chunk.toString("utf8").split("\n").filter((line) => line.startsWith("data:")));
        notify();
      });
      // The stream is open once headers arrive (yoga subscribes before it sends them); the event
      // must arrive while the stream stays open, not when it ends.
      const e164 = uniqueE164();
      await org.client.data(CreateNumber, { input: { e164 } });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no event within 15 s")), 15_000);
        notify = () => {
          if (events.length > 0) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify();
      });
      assert.deepEqual(JSON.parse(events[0]!.slice(5)).data.phoneNumberSetupStatusChanged, { phoneNumber: { e164 }, current: { status: "ACTION_REQUIRED" } });
      assert.equal(response.complete, false, "the stream is still open");
    } finally {
      response.destroy();
    }
  });
});

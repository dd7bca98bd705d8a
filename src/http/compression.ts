import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Plugin } from "graphql-yoga";

/** The encodings Switchboard answers in, best first (brotli is smaller than gzip at a similar cost). */
export type ContentEncoding = "br" | "gzip";
const SUPPORTED: readonly ContentEncoding[] = ["br", "gzip"];

/**
 * The encoding to answer a request in, from its Accept-Encoding (RFC 9110 12.5.3: q-values, `*`,
 * `identity`); undefined means "send it as it is".
 */
export function negotiateEncoding(acceptEncoding: string | null | undefined): ContentEncoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name = "", ...parameters] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = parameters.map((parameter) => parameter.trim().match(/^q=([0-9.]+)$/)?.[1]).find((value) => value !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  let best: ContentEncoding | undefined;
  let bestWeight = 0;
  for (const encoding of SUPPORTED) {
    const weight = weights.get(encoding) ?? weights.get("*") ?? 0;
    // Ties go to the earlier (better) encoding.
    if (weight > bestWeight) [best, bestWeight] = [encoding, weight];
  }
  return best;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Compresses off the event loop (zlib's thread pool). `effort` "dynamic" is for answers made per
 * request (fast settings); "static" for a page compressed once and kept (smaller, slower).
 */
export function compress(body: Uint8Array, encoding: ContentEncoding, effort: "dynamic" | "static" = "dynamic"): Promise<Buffer> {
  if (encoding === "br") {
    return brotli(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: effort === "static" ? 5 : 4,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
      },
    });
  }
  return gzipAsync(body, { level: effort === "static" ? 9 : 6 });
}

/** A Buffer as a response body (Node's Buffers from zlib and Buffer.from are backed by a plain ArrayBuffer). */
export function asBody(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return buffer as Uint8Array<ArrayBuffer>;
}

/** Media types worth compressing. Event streams and multipart answers stream, and are never held back to compress. */
const COMPRESSIBLE = /^(application\/(graphql-response\+json|json|javascript)|text\/(html|plain|css|javascript))\b/i;

export interface CompressionOptions {
  enabled: boolean;
  /** Smaller answers are sent as they are: compressing them costs more than it saves. */
  minBytes: number;
}

/**
 * Compresses yoga's answers (GraphQL JSON, including pre-serialized compiled reads) with brotli or
 * gzip by the request's Accept-Encoding, when they are at least `minBytes` long.
 *
 * @whatwg-node/server's own `useContentEncoding` is not used: it takes the first encoding listed
 * rather than the best accepted one (ignoring q-values), has no size threshold, and pipes every
 * answer through a CompressionStream, event streams too, which holds SSE events back in the
 * compressor. Only answers of a known length (yoga sets Content-Length on every non-streamed body)
 * are compressed here, so streams pass untouched.
 */
export function useCompression(options: CompressionOptions): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (!options.enabled || request.method === "HEAD") return;
      const type = response.headers.get("content-type") ?? "";
      if (!COMPRESSIBLE.test(type) || response.headers.has("content-encoding")) return;
      const length = Number(response.headers.get("content-length") ?? NaN);
      if (!Number.isFinite(length) || length < options.minBytes || !response.body) return;
      // The answer depends on Accept-Encoding from here on, for caches too.
      response.headers.append("vary", "Accept-Encoding");
      const encoding = negotiateEncoding(request.headers.get("accept-encoding"));
      if (!encoding) return;
      const compressed = await compress(new Uint8Array(await response.arrayBuffer()), encoding);
      const headers = new fetchAPI.Headers(response.headers);
      headers.set("content-encoding", encoding);
      headers.set("content-length", String(compressed.byteLength));
      setResponse(new fetchAPI.Response(asBody(compressed), { status: response.status, statusText: response.statusText, headers }));
    },
  };
}

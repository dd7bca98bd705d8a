import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedAddress } from "./url-guard.ts";

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the secret's base64-decoded bytes. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

export interface PostOutcome {
  /** The HTTP status, when an answer arrived. */
  status?: number;
  latencyMs: number;
  /** Why it did not succeed; undefined for a 2xx answer. */
  error?: string;
}

/** At most this much of an answer is read; the rest is discarded with the connection. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs `body` to `url`, connecting to `address` (already checked) whatever DNS says now. Redirects
 * are not followed (a 3xx is a failure), the whole exchange is bounded by `timeoutMs`, and at most
 * 64 KB of the answer is read.
 */
export function postJson(url: string, address: ResolvedAddress, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // Every connection of this request goes to the checked address (with or without `all`, as net asks).
  const pinned = ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  }) as unknown as LookupFunction;
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<PostOutcome, "latencyMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, latencyMs: elapsed() });
    };
    const request = client.request(
      target,
      { method: "POST", lookup: pinned, headers: { ...headers, "content-length": Buffer.byteLength(body).toString() }, agent: false },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        const done = () => {
          request.destroy();
          if (status >= 200 && status < 300) finish({ status });
          else if (status >= 300 && status < 400) finish({ status, error: `HTTP ${status}: redirects are not followed` });
          else finish({ status, error: `HTTP ${status}` });
        };
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) done();
        });
        response.once("end", done);
        response.once("error", done);
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ error: `Timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    request.once("error", (error: NodeJS.ErrnoException) => finish({ error: `${error.code ?? "ERROR"}: ${error.message}`.slice(0, 500) }));
    request.end(body);
  });
}

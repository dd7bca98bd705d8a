import { randomUUID } from "node:crypto";

/** What a client's X-Request-ID may be to be kept: a token of safe characters, at most 128 long. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

/**
 * The request's id: the client's `x-request-id` when it is a sane token (so a proxy's or a client's
 * id follows the request into our logs), else a fresh UUID. Never anything that could forge a log
 * line or smuggle a header (no spaces, quotes, newlines; bounded length).
 */
export function requestIdFrom(header: string | string[] | null | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

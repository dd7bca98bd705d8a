// What of a mutation's input the audit log keeps: secrets redacted, size bounded. Pure functions.

/**
 * Input fields whose values are never recorded, at any depth (also inside JSON inputs such as a
 * dispatch metadata template, and in lists): names containing password, secret, token, apikey,
 * api_key, signature, privatekey, private_key or credential, in any case. Plain `key` is not
 * secret-looking (idempotencyKey is useful in an audit).
 */
export const SECRET_FIELD = /password|secret|token|api_?key|signature|private_?key|credential/i;
export const REDACTED = "[REDACTED]";

/** Longer strings are cut to this many characters, followed by a marker. */
export const MAX_STRING_LENGTH = 1_000;
/** The recorded input's JSON stays under this many bytes: later top-level fields are dropped. */
export const MAX_INPUT_BYTES = 16 * 1024;
/** Deeper values are replaced by a marker (JSON inputs can nest). */
const MAX_DEPTH = 12;
/** The key that names the fields dropped to keep the input under MAX_INPUT_BYTES. */
export const DROPPED_FIELDS = "[DROPPED]";
/** Room kept for that marker (at most MAX_STRING_LENGTH characters, some of them multi-byte). */
const MARKER_BYTES = 1_100;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The input as the audit log keeps it: JSON, secret-looking fields redacted, strings and size bounded. */
export function auditInput(input: unknown): Json {
  const redacted = redact(input, 0);
  if (redacted === null || typeof redacted !== "object" || Array.isArray(redacted)) return fitOrMark(redacted);
  // Top-level fields are kept in order while the whole fits; the rest are named, not kept.
  const kept: Record<string, Json> = {};
  const dropped: string[] = [];
  let bytes = 2;
  for (const [name, value] of Object.entries(redacted)) {
    const size = Buffer.byteLength(JSON.stringify({ [name]: value })) - 1;
    if (dropped.length === 0 && bytes + size <= MAX_INPUT_BYTES - MARKER_BYTES) {
      kept[name] = value;
      bytes += size;
    } else dropped.push(name);
  }
  if (dropped.length > 0) kept[DROPPED_FIELDS] = `input over ${MAX_INPUT_BYTES} bytes; ${dropped.length} field(s) not recorded: ${dropped.join(", ")}`.slice(0, MAX_STRING_LENGTH);
  return kept;
}

function fitOrMark(value: Json): Json {
  return Buffer.byteLength(JSON.stringify(value)) <= MAX_INPUT_BYTES ? value : { [DROPPED_FIELDS]: `input over ${MAX_INPUT_BYTES} bytes` };
}

function redact(value: unknown, depth: number): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return storable(value.length > MAX_STRING_LENGTH ? `${value.slice(0, MAX_STRING_LENGTH)}…[${value.length - MAX_STRING_LENGTH} more characters]` : value);
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= MAX_DEPTH) return "[TOO DEEP]";
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const [name, field] of Object.entries(value)) {
      if (field === undefined) continue;
      out[storable(name)] = SECRET_FIELD.test(name) && field !== null ? REDACTED : redact(field, depth + 1);
    }
    return out;
  }
  return null;
}

/**
 * Text PostgreSQL can store: NUL (U+0000) and unpaired UTF-16 surrogates become U+FFFD. The audit
 * log records inputs the mutation itself refused as INVALID_CHARACTERS, and a cut string may end
 * inside a surrogate pair; jsonb and text columns refuse both.
 */
export function storable(text: string): string {
  return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/**
 * Candidate target ids of an input: the string values of fields named `id` or ending in `Id`, and
 * the items of fields ending in `Ids`, at any depth (bounded). The caller keeps only real global ids.
 */
export function idCandidates(input: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > MAX_DEPTH || value === null || typeof value !== "object" || found.length >= 100) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    for (const [name, field] of Object.entries(value)) {
      if ((name === "id" || name.endsWith("Id")) && typeof field === "string") found.push(field);
      else if (name.endsWith("Ids") && Array.isArray(field)) found.push(...field.filter((item): item is string => typeof item === "string"));
      else visit(field, depth + 1);
    }
  };
  visit(input, 0);
  return found.slice(0, 100);
}

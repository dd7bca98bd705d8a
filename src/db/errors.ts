import type { AppError } from "../domain/errors.ts";
import { Prisma } from "../generated/prisma/client.ts";

/**
 * The one place that reads Prisma's failures. Services ask what a failure was (a unique or foreign
 * key violation, a row gone) and answer with the expected error of their use case; anything else
 * stays unexpected and is masked.
 */

const known = (error: unknown, code: string): error is Prisma.PrismaClientKnownRequestError =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;

interface AdapterCause {
  originalMessage?: string;
  constraint?: { fields?: string[]; index?: string };
}

/**
 * The columns and constraint a violation names. With the pg driver adapter, Prisma 6 puts no `target`
 * in meta but the adapter's cause: `constraint.fields` read from PostgreSQL's detail (mixed-case names
 * keep their quotes, e.g. `"idempotencyKey"`) or `constraint.index`, and the constraint's name in
 * the original message.
 */
function violated(error: Prisma.PrismaClientKnownRequestError): { columns: string[]; constraint: string | undefined } {
  const meta = (error.meta ?? {}) as { target?: string | string[]; field_name?: string; driverAdapterError?: { cause?: AdapterCause } };
  const cause = meta.driverAdapterError?.cause;
  const columns = cause?.constraint?.fields ?? (Array.isArray(meta.target) ? meta.target : []);
  const constraint =
    cause?.constraint?.index ??
    cause?.originalMessage?.match(/constraint "([^"]+)"/)?.[1] ??
    (typeof meta.target === "string" ? meta.target : meta.field_name?.replace(/ \(index\)$/, ""));
  return { columns: columns.map((name) => name.replace(/^"|"$/g, "")), constraint };
}

/**
 * A unique constraint refused the write (P2002). With `target` (its columns, or its name), only that
 * constraint counts: a race on an idempotency key is not a number someone else holds.
 */
export function isUniqueViolation(error: unknown, target?: string | readonly string[]): boolean {
  if (!known(error, "P2002")) return false;
  if (target === undefined) return true;
  const { columns, constraint } = violated(error);
  const wanted = typeof target === "string" ? [target] : target;
  if (wanted.length === 1 && wanted[0] === constraint) return true;
  return columns.length === wanted.length && wanted.every((column) => columns.includes(column));
}

/**
 * A write that referenced a row which a concurrent request deleted meanwhile (a foreign key on
 * `column` failed, Prisma P2003): the caller's check passed, then the row was gone. Services turn
 * it into the answer the same request would have got a moment later.
 */
export function isMissingReference(error: unknown, column: string): boolean {
  if (!known(error, "P2003")) return false;
  const { columns, constraint } = violated(error);
  // Foreign keys are named <Model>_<column>_fkey (Prisma's default).
  return columns.includes(column) || Boolean(constraint?.endsWith(`_${column}_fkey`));
}

/** The row a write or `...OrThrow` read needed was gone (P2025): deleted by a concurrent change. */
export function isRecordMissing(error: unknown): boolean {
  return known(error, "P2025");
}

/** What a use case answers for each known failure of its write; unlisted failures are rethrown as they are. */
export interface PrismaErrorAnswers {
  /** Per unique constraint: its column, its columns joined by ",", or its name. */
  unique?: Record<string, () => AppError>;
  /** Per foreign-key column. */
  missingReference?: Record<string, () => AppError>;
  /** The row was gone (P2025). */
  recordMissing?: () => AppError;
}

/** Maps a Prisma failure to the use case's expected error: `.catch((error) => { throw mapPrismaError(error, {...}) })`. */
export function mapPrismaError(error: unknown, answers: PrismaErrorAnswers): unknown {
  for (const [target, answer] of Object.entries(answers.unique ?? {})) {
    if (isUniqueViolation(error, target.split(","))) return answer();
  }
  for (const [column, answer] of Object.entries(answers.missingReference ?? {})) {
    if (isMissingReference(error, column)) return answer();
  }
  if (answers.recordMissing && isRecordMissing(error)) return answers.recordMissing();
  return error;
}

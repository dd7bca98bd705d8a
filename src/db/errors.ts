import { Prisma } from "../generated/prisma/client.ts";

/**
 * A write that referenced a row which a concurrent request deleted meanwhile (a foreign key on
 * `column` failed, Prisma P2003): the caller's check passed, then the row was gone. Services turn
 * it into the NotFound error the same request would have got a moment later.
 */
export function isMissingReference(error: unknown, column: string): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== "P2003") return false;
  return JSON.stringify(error.meta ?? {}).includes(column) || error.message.includes(column);
}

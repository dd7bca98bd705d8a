/**
 * The Prisma condition of a list's creation-time filter: at or after `createdAfter`, before
 * `createdBefore`; undefined when neither is given (charges, events and audit rows filter alike).
 */
export function createdBetween(filter: { createdAfter?: Date | null; createdBefore?: Date | null } | null | undefined): { gte?: Date; lt?: Date } | undefined {
  if (!filter?.createdAfter && !filter?.createdBefore) return undefined;
  return { ...(filter.createdAfter ? { gte: filter.createdAfter } : {}), ...(filter.createdBefore ? { lt: filter.createdBefore } : {}) };
}

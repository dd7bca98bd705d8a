import type { Logger } from "pino";
import type { PrismaClient } from "../db/client.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

const BATCH = 5_000;

/**
 * Deletes events older than EVENT_RETENTION_DAYS, oldest first, in batches (a big backlog is not
 * one long transaction). Safe on several instances: deleting a row twice deletes it once.
 */
export async function pruneEvents(prisma: PrismaClient, retentionDays: number, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  let deleted = 0;
  for (let i = 0; i < 100; i++) {
    const old = await prisma.event.findMany({ where: { createdAt: { lt: before } }, select: { id: true }, orderBy: { createdAt: "asc" }, take: BATCH });
    if (old.length === 0) break;
    deleted += (await prisma.event.deleteMany({ where: { id: { in: old.map((e) => e.id) } } })).count;
    if (old.length < BATCH) break;
  }
  return deleted;
}

/** Hourly (and at start): the event log keeps EVENT_RETENTION_DAYS. */
export function startEventRetention(prisma: PrismaClient, retentionDays: number, logger: Logger, metrics?: Metrics): IntervalJob {
  return startIntervalJob("event retention", async () => ({ eventsDeleted: await pruneEvents(prisma, retentionDays) }), 3600, logger, metrics);
}

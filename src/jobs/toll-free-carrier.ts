import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.ts";
import type { TollFreeVerificationService } from "../verification/toll-free.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Registers approved toll-free verifications with their carrier when an attempt is due: after a
 * retryable failure's backoff, or after a crash once the attempt's lease ended (also at start).
 * Safe on several instances: each attempt claims its row first (TollFreeVerificationService.submitToCarrier).
 */
export function startTollFreeCarrierJob(service: TollFreeVerificationService, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  return startIntervalJob("toll-free carrier submissions", async () => ({ attempted: await service.submitDueToCarrier() }), intervalSeconds, logger, metrics);
}

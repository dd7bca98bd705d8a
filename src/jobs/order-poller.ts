import type { Logger } from "pino";
import type { ProvisioningService } from "../numbers/provisioning.ts";
import type { NumberReleases } from "../numbers/release.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every ORDER_POLL_SECONDS: completes carrier orders (PENDING numbers become ACTIVE), resolves
 * orders whose answer was lost, and finishes interrupted releases, including after a crash. Safe on several instances at once: every
 * transition it makes is guarded on the previous state.
 */
export function startOrderPoller(provisioning: ProvisioningService, releases: NumberReleases, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  return startIntervalJob(
    "carrier orders and releases",
    async () => ({
      ...(await provisioning.reconcileOrders()),
      // Releases a crash or a carrier outage interrupted (RELEASING rows) are finished here too.
      releasesFinished: await releases.finishInterrupted(),
    }),
    intervalSeconds,
    logger,
    metrics,
  );
}

import type { Logger } from "pino";
import type { ProvisioningService } from "../numbers/provisioning.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every ORDER_POLL_SECONDS: completes carrier orders (PENDING numbers become ACTIVE) and resolves
 * orders whose answer was lost, including after a crash. Safe on several instances at once: every
 * transition it makes is guarded on the previous state.
 */
export function startOrderPoller(provisioning: ProvisioningService, intervalSeconds: number, logger: Logger): IntervalJob {
  return startIntervalJob("carrier orders", () => provisioning.reconcileOrders(), intervalSeconds, logger);
}

import type { Logger } from "pino";
import type { BillingService } from "../billing/service.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every BILLING_POLL_SECONDS: charges what is due (new periods, retries after a decline, charges a
 * crash or an outage interrupted) and suspends numbers unpaid past the grace period. Safe on several
 * instances at once: numbers and charges are claimed with FOR UPDATE SKIP LOCKED, a period's charge
 * is unique, and the provider is called with an idempotency key (see BillingService).
 */
export function startBillingJob(billing: BillingService, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  return startIntervalJob("billing", () => billing.runDue(), intervalSeconds, logger, metrics);
}

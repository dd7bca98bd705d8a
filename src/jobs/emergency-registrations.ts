import type { Logger } from "pino";
import type { EmergencyAddressService } from "../emergency/service.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every ORDER_POLL_SECONDS (the carrier jobs' interval), and soon after an attempt left work for
 * it: registers the emergency addresses of numbers still PENDING (after a carrier outage, while the
 * carrier provisions, while the number's own order completes, or after a crash between the intent
 * and the carrier's answer), with backoff per number. Safe on several instances at once: each
 * attempt claims its number first (see EmergencyAddressService.attempt).
 */
export function startEmergencyRegistrations(emergency: EmergencyAddressService, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  const job = startIntervalJob("emergency registrations", () => emergency.registerDue(), intervalSeconds, logger, metrics);
  emergency.onWake(() => job.runSoon());
  return job;
}

import type { Logger } from "pino";
import type { ReviewerNotifications } from "../verification/reviewer-notifications.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every NOTIFICATION_POLL_SECONDS: delivers the reviewer notifications that are due. Safe on
 * several instances at once: each attempt claims its notification first (see ReviewerNotifications).
 */
export function startReviewerNotifier(notifications: ReviewerNotifications, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  return startIntervalJob("reviewer notifications", () => notifications.deliverDue(), intervalSeconds, logger, metrics);
}

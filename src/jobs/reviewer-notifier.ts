import type { Logger } from "pino";
import type { ReviewerNotifications } from "../verification/reviewer-notifications.ts";

/**
 * Every NOTIFICATION_POLL_SECONDS (and once at start, which catches up after a crash): delivers the
 * reviewer notifications that are due. Safe on several instances at once: each attempt claims its
 * notification first (see ReviewerNotifications).
 */
export function startReviewerNotifier(notifications: ReviewerNotifications, intervalSeconds: number, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = notifications
      .deliverDue()
      .then((outcome) => {
        if (outcome.sent || outcome.retrying || outcome.failed) logger.info(outcome, "reviewer notifications delivered");
      })
      .catch((error: unknown) => logger.error({ err: error }, "reviewer notification run failed"))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

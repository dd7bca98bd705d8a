import type { Logger } from "pino";
import type { ProvisioningService } from "../numbers/provisioning.ts";

/**
 * Every ORDER_POLL_SECONDS: completes carrier orders (PENDING numbers become ACTIVE) and resolves
 * orders whose answer was lost, including after a crash (it also runs at start). Safe on several
 * instances at once: every transition it makes is guarded on the previous state.
 */
export function startOrderPoller(provisioning: ProvisioningService, intervalSeconds: number, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = provisioning
      .reconcileOrders()
      .then((outcome) => {
        if (outcome.completed || outcome.failed || outcome.recovered) logger.info(outcome, "carrier orders updated");
      })
      .catch((error: unknown) => logger.error({ err: error }, "order poll failed"))
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

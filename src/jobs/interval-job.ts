import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.ts";

export interface IntervalJob {
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
  /** Runs as soon as possible: now, or right after the run in progress (which may have missed new work). */
  runSoon(): void;
}

/**
 * Runs `work` once at start (catching up after a crash) and then every `intervalSeconds`, never
 * two runs at once in this process. Jobs must be safe on several instances at once; each says how.
 * `work` returns an outcome of counts, logged when any is non-zero. Each run is counted and timed
 * in `metrics` (switchboard_job_run_duration_seconds) by job name and outcome.
 */
export function startIntervalJob(
  name: string,
  work: () => Promise<object>,
  intervalSeconds: number,
  logger: Logger,
  metrics?: Metrics,
): IntervalJob {
  let running: Promise<void> | undefined;
  let stopped = false;
  let again = false;
  const tick = () => {
    if (running || stopped) return;
    running = (metrics ? metrics.timeJob(name, work) : work())
      .then((outcome) => {
        if (Object.values(outcome).some((count) => typeof count === "number" && count > 0)) logger.info({ job: name, ...outcome }, `${name}: done`);
      })
      .catch((error: unknown) => logger.error({ err: error, job: name }, `${name}: run failed`))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          setImmediate(tick);
        }
      });
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
    runSoon() {
      if (stopped) return;
      if (running) again = true;
      else setImmediate(tick);
    },
  };
}

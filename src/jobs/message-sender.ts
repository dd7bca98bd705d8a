import type { Logger } from "pino";
import type { MessageSender } from "../messages/sender.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every MESSAGE_SEND_POLL_SECONDS, and at once whenever a message is committed: sends the outbound
 * messages that are due (new ones, retries after a backoff, and those a crash interrupted). Safe on
 * several instances at once: each attempt claims its message first (see MessageSender).
 */
export function startMessageSender(sender: MessageSender, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  const job = startIntervalJob("message sender", () => sender.sendDue(), intervalSeconds, logger, metrics);
  sender.onWake(() => job.runSoon());
  return job;
}

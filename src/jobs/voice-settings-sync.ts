import type { Logger } from "pino";
import type { VoiceSettingsService } from "../numbers/voice-settings.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every ORDER_POLL_SECONDS (carrier work, like the order poller), and at once when an agent change
 * leaves call forwarding to realign: sends again the caller ID names and fallbacks still PENDING at
 * the carrier (a carrier outage, a crash between the intent and the carrier's answer) with backoff,
 * FAILs those the carrier never confirms, and switches forwarding types to follow the agents. Safe on several
 * instances at once: each number is claimed first (see VoiceSettingsService.syncDue).
 */
export function startVoiceSettingsSync(voiceSettings: VoiceSettingsService, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  const job = startIntervalJob("voice settings sync", () => voiceSettings.syncDue(), intervalSeconds, logger, metrics);
  voiceSettings.onWake(() => job.runSoon());
  return job;
}

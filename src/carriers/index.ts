import path from "node:path";
import type { Logger } from "pino";
import type { Caller } from "../auth/caller.ts";
import type { Config } from "../config.ts";
import type { Metrics } from "../observability/metrics.ts";
import { CarrierError } from "../domain/errors.ts";
import { CarrierFailure, type CarrierAdapter } from "./adapter.ts";
import { resilient } from "./resilient.ts";
import { SANDBOX_CRASH_POINTS, SandboxCarrier, type SandboxCrashPoint } from "./sandbox.ts";
import { TelnyxCarrier } from "./telnyx.ts";

/** The carriers of this process: the configured one for live keys, the sandbox for test keys. */
export interface Carriers {
  /** The raw sandbox, whose fault switches tests flip. */
  sandbox: SandboxCarrier;
  /** The carrier a caller's requests use: sb_test_ keys always get the sandbox. */
  forCaller(caller: Caller): CarrierAdapter;
  /** A carrier by the name stored on orders and numbers. */
  byName(name: string): CarrierAdapter;
}

export function createCarriers(config: Config, logger: Logger, metrics?: Metrics): Carriers {
  const options = {
    timeoutMs: config.carrier.timeoutMs,
    retries: config.carrier.retries,
    breakerThreshold: 5,
    breakerHalfOpenMs: config.carrier.breakerHalfOpenMs,
  };
  const sandbox = new SandboxCarrier(config.carrier.sandboxStateFile ?? path.join(config.dataDir, "sandbox-carrier.json"));
  for (const fault of config.carrier.sandboxFaults) {
    if (fault === "delay-completion") sandbox.faults.delayCompletion = true;
    // Crash-safety tests (crash-recovery*.test.ts): the process SIGKILLs itself right after the
    // sandbox saved the change, before Switchboard wrote it back.
    const point = fault.startsWith("crash-after-") ? fault.slice("crash-after-".length) : undefined;
    if (point && (SANDBOX_CRASH_POINTS as readonly string[]).includes(point)) sandbox.faults.crashAfter.add(point as SandboxCrashPoint);
  }
  sandbox.deliveryDelayMs = config.carrier.sandboxDeliveryDelayMs;
  const sandboxResilient = resilient(sandbox, options, logger, metrics);
  const telnyx =
    config.carrier.telnyx.apiKey &&
    resilient(
      new TelnyxCarrier({
        apiKey: config.carrier.telnyx.apiKey,
        baseUrl: config.carrier.telnyx.baseUrl,
        // An adapter call may make up to three requests; each gets a share of the call's deadline,
        // so a slow request fails inside the adapter rather than the wrapper guessing.
        timeoutMs: Math.max(50, Math.floor(config.carrier.timeoutMs / 3)),
        connectionId: config.carrier.telnyx.connectionId,
        messagingProfileId: config.carrier.telnyx.messagingProfileId,
      }),
      options,
      logger,
      metrics,
    );
  const live = config.carrier.name === "telnyx" && telnyx ? telnyx : sandboxResilient;
  return {
    sandbox,
    forCaller: (caller) => (caller.mode === "TEST" ? sandboxResilient : live),
    byName: (name) => {
      if (name === "sandbox") return sandboxResilient;
      if (name === "telnyx" && telnyx) return telnyx;
      throw new Error(`carrier ${name} is not configured`);
    },
  };
}

/** A carrier failure as the typed error clients receive. */
export function toCarrierError(error: unknown): never {
  if (error instanceof CarrierFailure) {
    throw new CarrierError(error.kind, `${error.carrier}: ${error.message}`, error.carrier);
  }
  throw error;
}

/**
 * The lifecycle of a phone number, in one place: its states, the moves between them, and what
 * each state allows. Services ask `check`/`canMove` before they act; nothing else decides.
 *
 *   PENDING --order completes--> ACTIVE <--suspend / reactivate--> SUSPENDED
 *   PENDING --order fails------> FAILED
 *   ACTIVE | SUSPENDED --release of a managed number--> RELEASING --the carrier released it--> RELEASED
 *   ACTIVE | SUSPENDED --release of a manual or SIP-trunk number (no carrier)--------------> RELEASED
 *   FAILED --release (a dismissal: the carrier holds nothing)------------------------------> RELEASED
 *
 * RELEASING is written before the carrier is called, so a crash in between leaves a record that
 * the recovery job completes. RELEASED is final and keeps the row for audit.
 */

/** The same values as Prisma's NumberStatus enum (test/inputs.test.ts checks it; the domain does not import the database layer). */
export const NUMBER_STATUSES = ["PENDING", "ACTIVE", "SUSPENDED", "RELEASING", "RELEASED", "FAILED"] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number];

/** What a client or a job may do to a number. */
export const NUMBER_OPERATIONS = ["ASSIGN", "UPDATE", "CONFIRM_FORWARDING", "SEND", "RELEASE", "CHARGE"] as const;
export type NumberOperation = (typeof NUMBER_OPERATIONS)[number];

/** States that hold their E.164: one live owner per number (the partial unique index uses the same set). */
export const LIVE_STATUSES = ["PENDING", "ACTIVE", "SUSPENDED", "RELEASING"] as const satisfies readonly NumberStatus[];

export function isLive(status: NumberStatus): boolean {
  return (LIVE_STATUSES as readonly NumberStatus[]).includes(status);
}

const MOVES: Record<NumberStatus, readonly NumberStatus[]> = {
  PENDING: ["ACTIVE", "FAILED"],
  ACTIVE: ["SUSPENDED", "RELEASING", "RELEASED"],
  SUSPENDED: ["ACTIVE", "RELEASING", "RELEASED"],
  RELEASING: ["RELEASED"],
  FAILED: ["RELEASED"],
  RELEASED: [],
};

/** Whether a number may move from one state to another. */
export function canMove(from: NumberStatus, to: NumberStatus): boolean {
  return MOVES[from].includes(to);
}

/** The states a number may move to `to` from: the guard of a conditional update. */
export function statesMovingTo(to: NumberStatus): NumberStatus[] {
  return NUMBER_STATUSES.filter((from) => canMove(from, to));
}

const ALLOWED: Record<NumberStatus, readonly NumberOperation[]> = {
  // Being bought: it can be labelled and routed ahead of time, nothing reaches the carrier yet.
  PENDING: ["ASSIGN", "UPDATE", "CONFIRM_FORWARDING"],
  ACTIVE: ["ASSIGN", "UPDATE", "CONFIRM_FORWARDING", "SEND", "RELEASE", "CHARGE"],
  // Out of service until billing reactivates it: configurable, releasable, chargeable; no traffic.
  SUSPENDED: ["ASSIGN", "UPDATE", "CONFIRM_FORWARDING", "RELEASE", "CHARGE"],
  // Being released: a repeated release finds it under way; nothing else.
  RELEASING: ["RELEASE"],
  // The carrier order failed: the number can only be dismissed.
  FAILED: ["RELEASE"],
  RELEASED: [],
};

export type Refusal =
  | { kind: "RELEASED" }
  | { kind: "NOT_ALLOWED"; status: NumberStatus; operation: NumberOperation; message: string };

const WHY: Record<Exclude<NumberStatus, "RELEASED">, string> = {
  PENDING: "is still being ordered from the carrier",
  ACTIVE: "is active",
  SUSPENDED: "is suspended",
  RELEASING: "is being released",
  FAILED: "failed to be ordered from the carrier; it can only be released (dismissed)",
};

const CANNOT: Record<NumberOperation, string> = {
  ASSIGN: "be routed to an agent",
  UPDATE: "be changed",
  CONFIRM_FORWARDING: "have its forwarding confirmed",
  SEND: "send messages",
  RELEASE: "be released",
  CHARGE: "be charged",
};

/** Whether a number in `status` allows `operation`; the refusal says why, for the client. */
export function check(status: NumberStatus, operation: NumberOperation): Refusal | undefined {
  if (ALLOWED[status].includes(operation)) return undefined;
  if (status === "RELEASED") return { kind: "RELEASED" };
  return { kind: "NOT_ALLOWED", status, operation, message: `The number ${WHY[status]} and cannot ${CANNOT[operation]} in that state` };
}

/** A FAILED number was never held at the carrier: releasing it only dismisses the row. */
export function releaseNeedsCarrier(number: { status: NumberStatus; source: string }): boolean {
  return number.source === "MANAGED" && number.status !== "FAILED";
}

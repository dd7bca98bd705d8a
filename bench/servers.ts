// The queries of issue 11 and the two servers the benchmark runs, each as its own process.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { startServer } from "./measure.ts";

export const Q1 = `query Q1 { phoneNumbers(first: 100, orderBy: {field: E164, direction: ASC}) { edges { node { id e164 label createdAt agent { id name } } } } }`;
export const Q2 = `query Q2 { phoneNumbers(first: 100, orderBy: {field: E164, direction: ASC}) { totalCount edges { node { id e164 label createdAt agent { id name phoneNumbers(first: 5) { totalCount } } setupStatus { status issues { code } } } } } }`;
export const PAGE_AFTER = `query Page($after: String) { phoneNumbers(first: 100, after: $after, orderBy: {field: E164, direction: ASC}) { edges { cursor node { id e164 label createdAt agent { id name } } } pageInfo { hasNextPage endCursor } } }`;

/** Switchboard as `npm start` runs it (the bundle in dist/, rebuilt first when stale), with the rate limiter out of the way and the background jobs nearly idle. */
export function switchboardEnv(databaseUrl: string, applicationName: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "info",
    PGAPPNAME: applicationName,
    // The benchmark measures serving, not the rate limiter's refusals.
    RATE_LIMIT_KEY_POINTS: "1000000000",
    RATE_LIMIT_ORG_POINTS: "1000000000",
    // Pollers that would otherwise query every few seconds, charged to the requests measured.
    ORDER_POLL_SECONDS: "3600",
    NOTIFICATION_POLL_SECONDS: "3600",
    MESSAGE_SEND_POLL_SECONDS: "3600",
  };
}

/**
 * BENCH_CPU_PROF=<dir>: the measured servers write V8 CPU profiles there when they stop (read them
 * with bench/profile-summary.ts). Profiling costs CPU of its own, so such a run's figures are not
 * comparable with others.
 */
const profileDir = process.env.BENCH_CPU_PROF;
// One directory per server: Node writes a profile per thread (tsx's module hooks run in a thread of
// their own), named by pid and thread id; the largest is the main thread's.
const profileArgs = (name: string) => (profileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.join(profileDir, name)}`] : []);

/** `nodeArgs`: further Node options for the server process (bench/soak.ts's `--heap` adds `--inspect`). */
export const startSwitchboard = (databaseUrl: string, applicationName = "bench-switchboard", nodeArgs: string[] = []) =>
  startServer("switchboard", "scripts/run.mjs serve", switchboardEnv(databaseUrl, applicationName), [...profileArgs(applicationName), ...nodeArgs]);
export const startReference = (databaseUrl: string, applicationName = "bench-reference") =>
  startServer("reference", "bench/reference-server.ts", { DATABASE_URL: databaseUrl, PGAPPNAME: applicationName }, profileArgs(applicationName));

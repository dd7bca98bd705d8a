// Deterministic benchmark data, written straight into the tables Switchboard's migrations create:
// INSERT ... SELECT FROM generate_series, so PostgreSQL builds the rows itself (a million numbers
// in well under a minute) and the same seed gives the same ids, numbers and times every run.
import { createHash } from "node:crypto";
import pg from "pg";
import { connectionOptionsFromUrl } from "../src/db/connection-options.ts";
import { migrateDatabase } from "../src/db/migrate.ts";
import { createLogger } from "../src/logger.ts";

/** An organization's benchmark key (all scopes): fixed, so runs are comparable; the database is a scratch one. */
export function benchApiKey(organizationKey: string): string {
  return `sb_live_Bench${organizationKey.replace(/[^A-Za-z0-9]/g, "")}`.padEnd(48, "A");
}

/** The key of the first organization seeded, the one the load benchmark reads. */
export const BENCH_API_KEY = benchApiKey("main");

export interface OrganizationSpec {
  /** Seeds every id of this organization (md5 of key and row number, as a uuid). */
  key: string;
  agents: number;
  numbers: number;
  /** Messages per number. */
  messagesPerNumber?: number;
}

export interface SeededOrganization {
  id: string;
  key: string;
  apiKey: string;
  agents: number;
  numbers: number;
}

const BASE_TIME = "2026-01-01T00:00:00Z";
// e164 = +1 2xx xxx xxxx, with the row number scattered by a multiplier prime to the count, so
// sorting by number, by creation time and by id give three different orders.
const SCATTER = 7919;

async function timed<T>(label: string, log: (line: string) => void, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/**
 * Seeds organizations one after another, each with its benchmark API key (benchApiKey).
 * Numbers of all organizations share one e164 range so the live-number unique index holds.
 */
export async function seedOrganizations(client: pg.Client, organizations: OrganizationSpec[], log: (line: string) => void = () => {}): Promise<SeededOrganization[]> {
  const seeded: SeededOrganization[] = [];
  let e164Offset = 0;
  for (const spec of organizations) {
    if (spec.numbers % SCATTER === 0) throw new Error(`numbers must not be a multiple of ${SCATTER}`);
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES (md5($1)::uuid, $1, $2, $2) RETURNING id`,
      [`bench-${spec.key}`, BASE_TIME],
    );
    const organizationId = rows[0]!.id;
    const secret = benchApiKey(spec.key);
    await client.query(
      `INSERT INTO "ApiKey" (id, "organizationId", name, mode, prefix, "secretHash", scopes, "createdAt")
       VALUES (md5($1 || '-key')::uuid, $2, 'bench', 'LIVE', $3, $4, ARRAY['*'], $5)`,
      [spec.key, organizationId, secret.slice(0, 12), createHash("sha256").update(secret).digest("hex"), BASE_TIME],
    );
    await timed(`${spec.key}: ${spec.agents.toLocaleString("en")} agents`, log, () =>
      client.query(
        `INSERT INTO "Agent" (id, "organizationId", name, status, "createdAt", "updatedAt")
         SELECT md5($1 || '-agent-' || i)::uuid, $2, 'Agent ' || i,
                (CASE WHEN i % 50 = 49 THEN 'PAUSED' ELSE 'ACTIVE' END)::"AgentStatus",
                $3::timestamp + i * interval '1 second', $3::timestamp + i * interval '1 second'
         FROM generate_series(0, $4 - 1) AS i`,
        [spec.key, organizationId, BASE_TIME, spec.agents],
      ),
    );
    await timed(`${spec.key}: ${spec.numbers.toLocaleString("en")} numbers`, log, () =>
      client.query(
        `INSERT INTO "PhoneNumber" (id, "organizationId", e164, label, source, country, status, "agentId", "createdAt", "updatedAt",
                                    "inboundTrunkAddresses", "inboundTrunkAllowedSourceIps", "outboundTrunkAddresses", "outboundTrunkAllowedSourceIps")
         SELECT md5($1 || '-number-' || i)::uuid, $2,
                '+1' || (2000000000 + $5 + (i::bigint * ${SCATTER}) % $4)::text,
                (ARRAY['Sales', 'Support', 'Billing', 'Dispatch', 'Front desk'])[i % 5 + 1] || ' ' || (i % 1009),
                'MANUAL'::"NumberSource", 'US', 'ACTIVE'::"NumberStatus",
                md5($1 || '-agent-' || (i % $6))::uuid,
                $3::timestamp + i * interval '10 milliseconds', $3::timestamp + i * interval '10 milliseconds',
                '{}', '{}', '{}', '{}'
         FROM generate_series(0, $4 - 1) AS i`,
        [spec.key, organizationId, BASE_TIME, spec.numbers, e164Offset, spec.agents],
      ),
    );
    if (spec.messagesPerNumber) {
      await timed(`${spec.key}: ${(spec.numbers * spec.messagesPerNumber).toLocaleString("en")} messages`, log, () =>
        client.query(
          `INSERT INTO "Message" (id, "organizationId", "phoneNumberId", direction, "from", "to", body, "mediaUrls", status, carrier, "createdAt", "updatedAt")
           SELECT md5(p.id::text || '-message-' || k)::uuid, p."organizationId", p.id,
                  (CASE WHEN k % 2 = 1 THEN 'INBOUND' ELSE 'OUTBOUND' END)::"MessageDirection",
                  CASE WHEN k % 2 = 1 THEN '+15550001' || lpad((k % 1000)::text, 3, '0') ELSE p.e164 END,
                  CASE WHEN k % 2 = 1 THEN p.e164 ELSE '+15550001' || lpad((k % 1000)::text, 3, '0') END,
                  'Benchmark message ' || k, '{}',
                  (CASE WHEN k % 2 = 1 THEN 'RECEIVED' ELSE 'DELIVERED' END)::"MessageStatus", 'sandbox',
                  p."createdAt" + k * interval '1 minute', p."createdAt" + k * interval '1 minute'
           FROM "PhoneNumber" p CROSS JOIN generate_series(1, $2) AS k
           WHERE p."organizationId" = $1`,
          [organizationId, spec.messagesPerNumber],
        ),
      );
    }
    seeded.push({ id: organizationId, key: spec.key, apiKey: secret, agents: spec.agents, numbers: spec.numbers });
    e164Offset += spec.numbers;
  }
  // As a database that has been running for a while: statistics current, the visibility map set (so
  // counts can be index-only scans).
  await timed("VACUUM ANALYZE", log, () => client.query("VACUUM ANALYZE"));
  return seeded;
}

/** A scratch database made ready for a benchmark: Switchboard's own migrations, then the organizations seeded. */
export async function migrateAndSeed(databaseUrl: string, organizations: OrganizationSpec[], log: (line: string) => void): Promise<SeededOrganization[]> {
  log("migrating with Switchboard's migrations");
  await migrateDatabase(databaseUrl, createLogger("warn"));
  const client = new pg.Client(connectionOptionsFromUrl(databaseUrl));
  await client.connect();
  try {
    log("seeding");
    return await seedOrganizations(client, organizations, log);
  } finally {
    await client.end();
  }
}


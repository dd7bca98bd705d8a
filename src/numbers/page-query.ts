import type { PrismaClient } from "../db/client.ts";
import { likeLiteral } from "../db/like-literal.ts";
import { digitsOf } from "../domain/e164.ts";
import { ValidationError } from "../domain/errors.ts";
import { decodeId } from "../domain/global-id.ts";
import type { OrganizationVerificationStatuses, VerificationStatus } from "../domain/setup-status.ts";
import type { Agent, PhoneNumber } from "../generated/prisma/client.ts";
import type { PhoneNumberFilter, PhoneNumberOrder } from "./service.ts";

/**
 * The hot read of the API, a page of the organization's phone numbers, as one SQL statement.
 *
 * The generic path (Prisma's findMany with the query plugin-prisma plans from the selection) costs
 * one statement per level plus one per count and compiles every query in Wasm; its agent count
 * groups every organization's numbers. This path answers the shapes the list is asked in with one
 * statement that returns the page's rows, their agents, the agents' number counts (their counters),
 * the total of the filtered set (the organization's counter for the default filter, a count
 * otherwise) and the organization's 10DLC status, as JSON built in PostgreSQL. Rows come back in
 * the exact shape findMany gives (same columns, Dates, `agent` and `_count` nesting), so every field
 * resolver and plugin-prisma's relation mapping work unchanged. Any other shape (a `last` page, a nested list) goes the generic way.
 *
 * test/page-query.test.ts proves both paths return the same rows in the same order with the same
 * cursors for every filter, order and cursor position.
 */

type NumberRow = PhoneNumber & { agent?: (Agent & { _count?: { phoneNumbers: number } }) | null };

/** What plugin-prisma asks a phone-number page to load (the parts this path understands). */
export interface PlannedQuery {
  include?: Record<string, unknown>;
  select?: unknown;
  take?: number;
  skip?: number;
  cursor?: { id?: string };
}

/** What one page needs beyond the numbers themselves. */
export interface PageNeeds {
  totalCount: boolean;
  verificationStatus: boolean;
  /** The columns the selected fields read (the id is always read), or every column. */
  columns: readonly NumberColumn[] | "all";
}

export type NumberColumn = keyof PhoneNumber;

/**
 * The extension a PhoneNumber field declares the columns it reads with (`extensions: readsColumns(...)`),
 * so a page reads only what its selection needs. Exposed fields read their own column; a field
 * that declares nothing makes the page read every column.
 */
export const COLUMNS_EXTENSION = "phoneNumberColumns";
export const readsColumns = (...columns: NumberColumn[]) => ({ [COLUMNS_EXTENSION]: columns });

export interface LoadedPage {
  rows: NumberRow[];
  totalCount?: number;
  /** The organization's 10DLC and toll-free verification statuses, read by the page's statement. */
  verificationStatus?: OrganizationVerificationStatuses;
}

/** The agent include plugin-prisma plans for `agent { phoneNumbers { totalCount } }` (see src/agents/schema.ts). */
const AGENT_WITH_COUNT = JSON.stringify({ include: { _count: { select: { phoneNumbers: { where: { status: { not: "RELEASED" } } } } } } });

const ORDER_COLUMNS = { CREATED_AT: "createdAt", UPDATED_AT: "updatedAt", E164: "e164", LABEL: "label", MONTHLY_PRICE: "monthlyPriceCents" } as const;

/** The DateTime columns, which JSON carries as text and findMany returns as Dates. */
const NUMBER_DATES = ["forwardingConfirmedAt", "smsCampaignUpdatedAt", "nextChargeAt", "lastChargeAt", "suspendedAt", "createdAt", "updatedAt", "releasedAt", "releaseRequestedAt", "emergencyUpdatedAt", "emergencyNextAttemptAt"] as const;
const AGENT_DATES = ["createdAt", "updatedAt"] as const;
/** Every column of Agent, as findMany returns them (json_build_object: cheaper than jsonb_set over to_jsonb). */
const AGENT_COLUMNS = ["id", "organizationId", "name", "status", "createdAt", "updatedAt", "liveNumberCount"] as const satisfies ReadonlyArray<keyof Agent>;
/** The list columns, which may be NULL in the table and which findMany returns as empty lists. */
export const NUMBER_LISTS = ["inboundTrunkAddresses", "inboundTrunkAllowedSourceIps", "outboundTrunkAddresses", "outboundTrunkAllowedSourceIps"] as const;

/**
 * How the agent of each row is loaded, or undefined when the planned query has a shape this path
 * does not answer (the caller then takes the generic path).
 */
export function plannedShape(query: PlannedQuery): { agent: "none" | "row" | "rowWithCount" } | undefined {
  const { include, select, take, skip, cursor, ...rest } = query;
  if (select !== undefined || Object.keys(rest).length > 0) return undefined;
  if (take === undefined || take <= 0 || (skip ?? 0) < 0) return undefined;
  if (cursor && (Object.keys(cursor).length !== 1 || typeof cursor.id !== "string")) return undefined;
  const { agent, ...otherIncludes } = include ?? {};
  if (Object.keys(otherIncludes).length > 0) return undefined;
  if (agent === undefined) return { agent: "none" };
  // A select of the agent's own columns (setupStatus asks for its status) is answered with the whole row.
  if (agent === true || isScalarSelect(agent)) return { agent: "row" };
  if (JSON.stringify(agent) === AGENT_WITH_COUNT) return { agent: "rowWithCount" };
  return undefined;
}

function isScalarSelect(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Object.keys(value).length !== 1 || !("select" in value)) return false;
  const select = (value as { select: unknown }).select;
  return typeof select === "object" && select !== null && Object.values(select).every((v) => v === true);
}

/** The organization's ($1) current 10DLC and toll-free verification statuses, as subselects of a page's one statement. */
const TEN_DLC_STATUS_SQL = `(SELECT v."status"::text FROM "Verification" v WHERE v."organizationId" = $1::uuid AND v."current")`;
const TOLL_FREE_STATUS_SQL = `(SELECT f."status"::text FROM "TollFreeVerification" f WHERE f."organizationId" = $1::uuid AND f."current")`;

/**
 * An agent's (`a`) live numbers, what `agent.phoneNumbers.totalCount` counts (every status but
 * RELEASED): its counter, which triggers on PhoneNumber keep exact in the same transaction as every
 * change (migration 20261129090000_number_counters).
 */
const AGENT_LIVE_NUMBERS_SQL = `a."liveNumberCount"`;

/** The condition filterSql adds for the default `released: EXCLUDE`: the organization's live numbers. */
const LIVE_SQL = `p."status" <> 'RELEASED'`;

/**
 * True when filterSql's conditions select exactly the organization's live numbers: the organization
 * and LIVE_SQL, nothing else (no filter, or one whose every other condition is empty).
 */
export const selectsLiveNumbers = (where: readonly string[]): boolean => where.length === 2 && where[1] === LIVE_SQL;

/**
 * The total of the filtered set. The organization's ($1) live numbers are held by its counter (kept
 * like the agents' counters); any other set counts its own WHERE.
 */
function totalSql(where: readonly string[]): string {
  if (selectsLiveNumbers(where)) return `COALESCE((SELECT c."liveNumbers" FROM "OrganizationCounter" c WHERE c."organizationId" = $1::uuid), 0)`;
  return `(SELECT count(*) FROM "PhoneNumber" p WHERE ${where.join(" AND ")})::int`;
}

/** Bind parameters of one statement, numbered in the order they are added. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

/** The WHERE conditions of the filtered set, the SQL twin of PhoneNumberService.where. */
export function filterSql(organizationId: string, filter: PhoneNumberFilter | null | undefined, params: Params): string[] {
  const and = [`p."organizationId" = ${params.add(organizationId, "uuid")}`];
  const released = filter?.released ?? "EXCLUDE";
  if (released === "EXCLUDE") and.push(LIVE_SQL);
  if (released === "ONLY") and.push(`p."status" = 'RELEASED'`);
  const text = filter?.text?.trim();
  if (text) {
    const or = [`p."label" ILIKE ${params.add(`%${likeLiteral(text)}%`, "text")}`];
    const digits = digitsOf(text);
    if (digits && /^[\d\s()+.-]+$/.test(text)) or.push(`p."e164" LIKE ${params.add(`%${digits}%`, "text")}`);
    and.push(`(${or.join(" OR ")})`);
  }
  if (filter?.sources?.length) and.push(`p."source" = ANY(${params.add([...new Set(filter.sources)], `"NumberSource"[]`)})`);
  if (filter?.statuses?.length) and.push(`p."status" = ANY(${params.add([...new Set(filter.statuses)], `"NumberStatus"[]`)})`);
  if (filter?.directions?.length) and.push(`p."direction" = ANY(${params.add([...new Set(filter.directions)], `"NumberDirection"[]`)})`);
  if (filter?.numberTypes?.length) and.push(`p."numberType" = ANY(${params.add([...new Set(filter.numberTypes)], `"PhoneNumberType"[]`)})`);
  if (filter?.agentId) {
    const decoded = decodeId(filter.agentId, "Agent", ["filter", "agentId"]);
    if ("error" in decoded) throw new ValidationError([decoded.error]);
    and.push(`p."agentId" = ${params.add(decoded.id, "uuid")}`);
  }
  if (filter?.assigned != null) and.push(filter.assigned ? `p."agentId" IS NOT NULL` : `p."agentId" IS NULL`);
  if (filter?.createdAfter) and.push(`p."createdAt" >= ${params.add(filter.createdAfter.toISOString(), "timestamptz")} AT TIME ZONE 'UTC'`);
  if (filter?.createdBefore) and.push(`p."createdAt" < ${params.add(filter.createdBefore.toISOString(), "timestamptz")} AT TIME ZONE 'UTC'`);
  return and;
}

/**
 * One page of numbers in one statement. `query` is plugin-prisma's plan (take, skip, cursor and the
 * agent include); its shape must have passed `plannedShape`.
 */
export async function loadPhoneNumberPage(
  prisma: PrismaClient,
  organizationId: string,
  args: { filter?: PhoneNumberFilter | null; orderBy?: PhoneNumberOrder | null },
  query: PlannedQuery,
  needs: PageNeeds,
): Promise<LoadedPage> {
  const shape = plannedShape(query);
  if (!shape) throw new Error("loadPhoneNumberPage: a planned query of an unsupported shape");
  const params = new Params();
  const where = filterSql(organizationId, args.filter, params);
  const column = `"${ORDER_COLUMNS[args.orderBy?.field ?? "CREATED_AT"]}"`;
  const direction = (args.orderBy?.direction ?? "DESC") === "ASC" ? "ASC" : "DESC";
  const pageWhere = [...where];
  if (query.cursor?.id) {
    // Prisma's cursor: from the cursor row on (inclusive), in the list's order; `skip` then steps past it.
    const cursor = params.add(query.cursor.id, "uuid");
    pageWhere.push(`(p.${column}, p."id") ${direction === "ASC" ? ">=" : "<="} (SELECT c.${column}, c."id" FROM "PhoneNumber" c WHERE c."id" = ${cursor})`);
  }
  const order = (table: string) => `${table}.${column} ${direction}, ${table}."id" ${direction}`;
  // Each row's agent by its primary key (a subplan per row), never a join the planner may turn into
  // a scan of every agent; its count is the agent's counter of live numbers.
  const agentJson =
    shape.agent === "none"
      ? "NULL"
      : shape.agent === "row"
        ? `(SELECT row_to_json(a) FROM "Agent" a WHERE a."id" = page."agentId")`
        : `(SELECT json_build_object(${AGENT_COLUMNS.map((c) => `'${c}', a."${c}"`).join(", ")}, '_count', json_build_object('phoneNumbers', ${AGENT_LIVE_NUMBERS_SQL})) FROM "Agent" a WHERE a."id" = page."agentId")`;
  const take = params.add(query.take, "int");
  const skip = params.add(query.skip ?? 0, "int");
  const columns = needs.columns === "all" ? undefined : [...new Set<NumberColumn>(["id", "agentId", ORDER_COLUMNS[args.orderBy?.field ?? "CREATED_AT"], ...needs.columns])];
  const numberJson = columns ? `json_build_object(${columns.map((c) => `'${c}', page."${c}"`).join(", ")})` : "row_to_json(page)";
  const sql = `WITH page AS (
  SELECT ${columns ? columns.map((c) => `p."${c}"`).join(", ") : "p.*"} FROM "PhoneNumber" p WHERE ${pageWhere.join(" AND ")} ORDER BY ${order("p")} LIMIT ${take} OFFSET ${skip}
)
SELECT
  (SELECT coalesce(json_agg(json_build_array(${numberJson}, ${agentJson}) ORDER BY ${order("page")}), '[]')::text
     FROM page) AS "rows",
  ${needs.totalCount ? totalSql(where) : "NULL::int"} AS "totalCount",
  ${needs.verificationStatus ? TEN_DLC_STATUS_SQL : "NULL::text"} AS "verificationStatus",
  ${needs.verificationStatus ? TOLL_FREE_STATUS_SQL : "NULL::text"} AS "tollFreeVerificationStatus"`;
  const [result] = await prisma.$queryRawUnsafe<Array<{ rows: string; totalCount: number | null; verificationStatus: string | null; tollFreeVerificationStatus: string | null }>>(
    sql,
    ...params.values,
  );
  const rows = (JSON.parse(result!.rows) as Array<[Record<string, unknown>, Record<string, unknown> | null]>).map(([number, agent]) => {
    for (const column of NUMBER_LISTS) if (column in number) number[column] ??= [];
    const row = withDates(number, NUMBER_DATES) as NumberRow;
    if (shape.agent !== "none") row.agent = agent ? (withDates(agent, AGENT_DATES) as NonNullable<NumberRow["agent"]>) : null;
    return row;
  });
  return {
    rows,
    ...(needs.totalCount ? { totalCount: result!.totalCount ?? 0 } : {}),
    ...(needs.verificationStatus
      ? {
          verificationStatus: {
            tenDlc: (result!.verificationStatus ?? "MISSING") as VerificationStatus,
            tollFree: (result!.tollFreeVerificationStatus ?? "MISSING") as VerificationStatus,
          },
        }
      : {}),
  };
}

/** PostgreSQL's JSON writes `timestamp(3)` columns as local text without a zone; they are UTC. */
function withDates(row: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> {
  for (const column of columns) {
    const value = row[column];
    if (typeof value === "string") row[column] = new Date(`${value}Z`);
  }
  return row;
}

/** What a compiled `phoneNumbers` read (src/numbers/compiled-read.ts) asks one statement for. */
export interface CompiledPageNeeds {
  /** PhoneNumber columns besides the id and agentId, which are always read. */
  numberColumns: readonly NumberColumn[];
  /** Values computed from the number's row `p`, each `[alias, SQL]` (setup status's inputs). */
  numberExpressions: ReadonlyArray<readonly [alias: string, sql: string]>;
  /** Agent columns (read as `agent.<column>`), or none to read no agent. */
  agentColumns: ReadonlyArray<keyof Agent>;
  /** The agent's count of unreleased numbers, as `agent._count`. */
  agentCount: boolean;
  totalCount: boolean;
  verificationStatus: boolean;
}

/**
 * The columns of a compiled read's rows, in order: the total and the two verification statuses,
 * the id and agentId, the other number columns, the expressions, then the agent's columns and count.
 * They depend on the needs alone (not on the filter or order), so a reader can place every value
 * once when it compiles.
 */
export function compiledPageOutputs(needs: CompiledPageNeeds): string[] {
  return [
    "_total",
    "_verification",
    "_tollFreeVerification",
    ...new Set<string>(["id", "agentId", ...needs.numberColumns]),
    ...needs.numberExpressions.map(([alias]) => alias),
    ...needs.agentColumns.map((c) => `agent.${c}`),
    ...(needs.agentCount ? ["agent._count"] : []),
  ];
}

/**
 * The statement of a compiled read: the page of `take` rows after `skip` from the cursor row (as
 * Prisma's cursor paging reads it), each row's number columns and expressions and its agent's as
 * plain columns (compiledPageOutputs), with the total and the organization's 10DLC and toll-free
 * statuses on every row. An empty page is one row whose `id` is null, so the total still arrives.
 * Rows come in the list's order.
 */
export function compiledPageSql(
  organizationId: string,
  args: { filter?: PhoneNumberFilter | null; orderBy?: PhoneNumberOrder | null },
  page: { take: number; skip: number; cursorId?: string },
  needs: CompiledPageNeeds,
): { text: string; values: unknown[] } {
  const params = new Params();
  const where = filterSql(organizationId, args.filter, params);
  const orderColumn = ORDER_COLUMNS[args.orderBy?.field ?? "CREATED_AT"];
  const column = `"${orderColumn}"`;
  const direction = (args.orderBy?.direction ?? "DESC") === "ASC" ? "ASC" : "DESC";
  const pageWhere = [...where];
  if (page.cursorId) {
    const cursor = params.add(page.cursorId, "uuid");
    pageWhere.push(`(p.${column}, p."id") ${direction === "ASC" ? ">=" : "<="} (SELECT c.${column}, c."id" FROM "PhoneNumber" c WHERE c."id" = ${cursor})`);
  }
  const order = (table: string) => `${table}.${column} ${direction}, ${table}."id" ${direction}`;
  const columns = [...new Set<NumberColumn>(["id", "agentId", orderColumn, ...needs.numberColumns])];
  const pageSelect = [...columns.map((c) => `p."${c}"`), ...needs.numberExpressions.map(([alias, sql]) => `(${sql}) AS "${alias}"`)];
  const take = params.add(page.take, "int");
  const skip = params.add(page.skip, "int");
  const agentSelect = [
    ...needs.agentColumns.map((c) => `a."${c}" AS "agent.${c}"`),
    ...(needs.agentCount ? [`${AGENT_LIVE_NUMBERS_SQL} AS "agent._count"`] : []),
  ];
  // Each row's agent by its primary key, one index lookup per row; its count is the agent's counter
  // of live numbers. OFFSET 0 keeps the planner from pulling the subquery up into a join, which it
  // plans as a hash join over a scan of every agent of every organization (0.8 ms at 10,000 agents,
  // more as the table grows): the statement's cost would follow the table, not the page.
  const agentJoin = agentSelect.length ? `LEFT JOIN LATERAL (SELECT ${agentSelect.join(", ")} FROM "Agent" a WHERE a."id" = page."agentId" OFFSET 0) a ON true` : "";
  const outputs = compiledPageOutputs(needs).map((name) => (name.startsWith("_") ? `t."${name}"` : `r."${name}"`));
  const text = `WITH page AS (
  SELECT ${pageSelect.join(", ")} FROM "PhoneNumber" p WHERE ${pageWhere.join(" AND ")} ORDER BY ${order("p")} LIMIT ${take} OFFSET ${skip}
)
SELECT ${outputs.join(", ")}
FROM (SELECT ${needs.totalCount ? totalSql(where) : "NULL::int"} AS "_total",
             ${needs.verificationStatus ? TEN_DLC_STATUS_SQL : "NULL::text"} AS "_verification",
             ${needs.verificationStatus ? TOLL_FREE_STATUS_SQL : "NULL::text"} AS "_tollFreeVerification") t
LEFT JOIN LATERAL (SELECT page.*${agentSelect.length ? ", a.*" : ""} FROM page ${agentJoin}) r ON true
ORDER BY ${order("r")}`;
  return { text, values: params.values };
}

import { formatPrismaCursor, parsePrismaCursor } from "@pothos/plugin-prisma";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../limits/cost.ts";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../context.ts";
import { isUuid } from "../domain/global-id.ts";
import { allowsInbound, allowsOutbound, setupStatusOf, type OrganizationVerificationStatuses, type StoredNumber, type VerificationStatus } from "../domain/setup-status.ts";
import type { Agent } from "../generated/prisma/client.ts";
import {
  argumentsOf,
  compileObject,
  exposedProperty,
  leafWriter,
  plainArguments,
  plainWriter,
  subSelections,
  type CompiledRootField,
  type CompileScope,
  type RootFieldCompiler,
  type SelectedField,
  type Writer,
} from "../schema/compiled-reads.ts";
import { COLUMNS_EXTENSION, compiledPageSql, NUMBER_LISTS, type CompiledPageNeeds, type NumberColumn } from "./page-query.ts";
import type { PhoneNumberFilter, PhoneNumberOrder } from "./service.ts";

/**
 * `Query.phoneNumbers` as a compiled read (src/schema/compiled-reads.ts): one statement
 * (compiledPageSql) and a writer per selected field, for the selections lists are made of: the
 * connection's edges, cursors, page info and total; a number's exposed columns, id, label,
 * supportsInbound/Outbound and setup status; its agent's exposed columns, id and count of numbers.
 * Paging follows plugin-prisma's cursor connection exactly (page size default 20, maximum 100, one
 * extra row for hasNextPage, the cursor row skipped). Anything else is left to the executor.
 */

type Row = Record<string, unknown> & { id: string | null; agentId: string | null };

/** The connection defaults of the builder (src/schema/builder.ts). */
const DEFAULT_SIZE = DEFAULT_PAGE_SIZE;
const MAX_SIZE = MAX_PAGE_SIZE;

/** What the writers of one operation's page need from its statement. */
interface PageNeeds {
  numberColumns: Set<NumberColumn>;
  agentColumns: Set<keyof Agent>;
  agentCount: boolean;
  totalCount: boolean;
  verificationStatus: boolean;
}

/** A page as the connection's writers see it. */
type Page = { rows: RowView[]; hasNextPage: boolean; hasPreviousPage: boolean; total: number };

/** One row as the writers see it, with the page's verification statuses for setup status. */
interface RowView {
  row: Row;
  verification: OrganizationVerificationStatuses;
}

export const compilePhoneNumbers: RootFieldCompiler = (scope, field) => {
  if (!field.def.args.every((arg) => ["first", "after", "last", "before", "filter", "orderBy"].includes(arg.name))) return undefined;
  const needs: PageNeeds = { numberColumns: new Set(), agentColumns: new Set(), agentCount: false, totalCount: false, verificationStatus: false };
  const write = compileObject<Page>(scope, field, (selected) => {
    if (selected.name === "totalCount") {
      needs.totalCount = true;
      return (page) => String(page.total);
    }
    if (selected.name === "pageInfo") return pageInfoWriter(scope, selected);
    if (selected.name !== "edges") return undefined;
    const edge = edgeWriter(scope, selected, needs);
    return edge && ((page) => `[${page.rows.map(edge).join(",")}]`);
  });
  if (!write) return undefined;
  const run: CompiledRootField = async (context: Context, variables) => {
    const args = argumentsOf(field, variables);
    if (!args || !plainArguments(args)) return undefined;
    const { first, after, last, before } = args as { first?: number | null; after?: string | null; last?: unknown; before?: unknown };
    // Backward pages and bad sizes are the executor's (and its errors).
    if (last != null || before != null || (first != null && (first < 0 || first > MAX_SIZE))) return undefined;
    let cursorId: string | undefined;
    if (after != null) {
      try {
        const parsed = parsePrismaCursor(after);
        if (typeof parsed !== "string" || !isUuid(parsed)) return undefined;
        cursorId = parsed;
      } catch {
        return undefined;
      }
    }
    const take = Math.min(first ?? DEFAULT_SIZE, MAX_SIZE) + 1;
    let statement: { text: string; values: unknown[] };
    try {
      statement = compiledPageSql(
        context.caller.organizationId,
        args as { filter?: PhoneNumberFilter | null; orderBy?: PhoneNumberOrder | null },
        { take, skip: cursorId ? 1 : 0, cursorId },
        needsOf(needs),
      );
    } catch {
      // A malformed agent id in the filter: the executor's coded error.
      return undefined;
    }
    const rows = await context.sql<Row & { _total: number | null; _verification: string | null; _tollFreeVerification: string | null }>(statement.text, statement.values);
    const first_ = rows[0];
    const verification: OrganizationVerificationStatuses = {
      tenDlc: (first_?._verification ?? "MISSING") as VerificationStatus,
      tollFree: (first_?._tollFreeVerification ?? "MISSING") as VerificationStatus,
    };
    const found = rows.filter((row) => row.id !== null);
    const hasNextPage = found.length === take;
    const pageRows = hasNextPage ? found.slice(0, -1) : found;
    return write({ rows: pageRows.map((row) => ({ row, verification })), hasNextPage, hasPreviousPage: after != null, total: first_?._total ?? 0 });
  };
  return run;
};

function needsOf(needs: PageNeeds): CompiledPageNeeds {
  return { ...needs, numberColumns: [...needs.numberColumns], agentColumns: [...needs.agentColumns] };
}

const cursorOf = (row: Row) => formatPrismaCursor(row, "id");

function pageInfoWriter(scope: CompileScope, field: SelectedField): Writer<Page> | undefined {
  const cursorAt = (page: Page, index: number) => (page.rows.length ? JSON.stringify(cursorOf(page.rows.at(index)!.row)) : "null");
  const writers: Record<string, Writer<Page>> = {
    hasNextPage: (page) => String(page.hasNextPage),
    hasPreviousPage: (page) => String(page.hasPreviousPage),
    startCursor: (page) => cursorAt(page, 0),
    endCursor: (page) => cursorAt(page, -1),
  };
  return compileObject<Page>(scope, field, (selected) => writers[selected.name]);
}

function edgeWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  return compileObject<RowView>(scope, field, (selected) => {
    if (selected.name === "cursor") return (view) => JSON.stringify(cursorOf(view.row));
    return selected.name === "node" ? numberWriter(scope, selected, needs) : undefined;
  });
}

/** Fields of PhoneNumber with a resolver of their own that this path writes the same way. */
const NUMBER_FIELDS: Record<string, { columns: NumberColumn[]; write: Writer<RowView> }> = {
  label: { columns: ["label"], write: ({ row }) => (row.label ? JSON.stringify(row.label) : "null") },
  supportsInbound: { columns: ["direction"], write: ({ row }) => String(allowsInbound(row.direction as StoredNumber["direction"])) },
  supportsOutbound: { columns: ["direction"], write: ({ row }) => String(allowsOutbound(row.direction as StoredNumber["direction"])) },
};

/** An exposed scalar or enum field read from the row's column `key`, or undefined for any other field. */
function columnWriter(selected: SelectedField, key: (column: string) => string): { column: string; write: Writer<RowView> } | undefined {
  const column = exposedProperty(selected);
  const write = column && !selected.def.args.length && leafWriter(selected.def.type);
  if (!column || !write) return undefined;
  const at = key(column);
  return { column, write: ({ row }) => (row[at] == null ? "null" : write(row[at])) };
}

function numberWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  return compileObject<RowView>(
    scope,
    field,
    (selected) => {
      if (selected.name === "id") return ({ row }) => JSON.stringify(encodeGlobalID("PhoneNumber", row.id!));
      if (selected.name === "agent") {
        const agent = agentWriter(scope, selected, needs);
        return agent && ((view) => (view.row.agentId === null ? "null" : agent(view)));
      }
      if (selected.name === "setupStatus") return setupStatusWriter(scope, selected, needs);
      const own = NUMBER_FIELDS[selected.name];
      if (own) {
        for (const column of own.columns) needs.numberColumns.add(column);
        return own.write;
      }
      const exposed = columnWriter(selected, (column) => column);
      if (exposed) needs.numberColumns.add(exposed.column as NumberColumn);
      return exposed?.write;
    },
    "PhoneNumber",
  );
}

function agentWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  return compileObject<RowView>(
    scope,
    field,
    (selected) => {
      if (selected.name === "id") return ({ row }) => JSON.stringify(encodeGlobalID("Agent", row.agentId!));
      if (selected.name === "phoneNumbers") {
        const count = agentNumbersWriter(scope, selected);
        if (count) needs.agentCount = true;
        return count;
      }
      const exposed = columnWriter(selected, (column) => `agent.${column}`);
      if (exposed) needs.agentColumns.add(exposed.column as keyof Agent);
      return exposed?.write;
    },
    "Agent",
  );
}

/** `agent { phoneNumbers { totalCount } }`: the count only, with no argument that could fail or page. */
function agentNumbersWriter(scope: CompileScope, field: SelectedField): Writer<RowView> | undefined {
  if (field.nodes.some((node) => node.arguments?.some((arg) => arg.name.value !== "first" || arg.value.kind !== "IntValue" || Number(arg.value.value) < 0 || Number(arg.value.value) > MAX_SIZE))) return undefined;
  return compileObject<RowView>(scope, field, (selected) => (selected.name === "totalCount" ? ({ row }) => String(row["agent._count"]) : undefined));
}

/** Setup status: computed by the domain's setupStatusOf from the columns the field declares, as its resolver does. */
function setupStatusWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const columns = (field.def.extensions as Record<string, unknown> | undefined)?.[COLUMNS_EXTENSION] as NumberColumn[] | undefined;
  const write = columns && plainWriter(scope, field.def.type, subSelections(field));
  if (!columns || !write) return undefined;
  for (const column of columns) needs.numberColumns.add(column);
  needs.agentColumns.add("status");
  needs.verificationStatus = true;
  return ({ row, verification }) => write(setupStatusOf(storedNumber(row), verification));
}

/**
 * The row made into what setupStatusOf reads of a stored number, in place (each row is read once):
 * lists never null, times as Dates, the agent's status.
 */
function storedNumber(row: Row): StoredNumber {
  for (const list of NUMBER_LISTS) row[list] ??= [];
  for (const time of ["suspendedAt", "forwardingConfirmedAt"]) if (typeof row[time] === "string") row[time] = new Date(`${row[time] as string}Z`);
  row.agent = row.agentId === null ? null : { status: row["agent.status"] };
  return row as unknown as StoredNumber;
}

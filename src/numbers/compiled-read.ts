import { formatPrismaCursor, parsePrismaCursor } from "@pothos/plugin-prisma";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { getNamedType, isObjectType, type GraphQLObjectType } from "graphql";
import type { Context } from "../context.ts";
import { isUuid } from "../domain/global-id.ts";
import { allowsInbound, allowsOutbound, setupStatusOf, type StoredNumber, type VerificationStatus } from "../domain/setup-status.ts";
import type { Agent } from "../generated/prisma/client.ts";
import {
  argumentsOf,
  exposedProperty,
  leafWriter,
  objectWriter,
  plainArguments,
  plainWriter,
  subSelections,
  type CompiledRootField,
  type CompileScope,
  type RootFieldCompiler,
  type SelectedField,
  type Writer,
} from "../schema/compiled-reads.ts";
import { COLUMNS_EXTENSION, compiledPageSql, type CompiledPageNeeds, type NumberColumn } from "./page-query.ts";
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
const DEFAULT_SIZE = 20;
const MAX_SIZE = 100;

/** What the writers of one operation's page need from its statement. */
interface PageNeeds {
  numberColumns: Set<NumberColumn>;
  agentColumns: Set<keyof Agent>;
  agentCount: boolean;
  totalCount: boolean;
  verificationStatus: boolean;
}

/** One row as the writers see it, with the page's verification status for setup status. */
interface RowView {
  row: Row;
  verification: VerificationStatus;
}

export const compilePhoneNumbers: RootFieldCompiler = (scope, field) => {
  const connection = getNamedType(field.def.type);
  if (!isObjectType(connection) || !field.def.args.every((arg) => ["first", "after", "last", "before", "filter", "orderBy"].includes(arg.name))) return undefined;
  const needs: PageNeeds = { numberColumns: new Set(), agentColumns: new Set(), agentCount: false, totalCount: false, verificationStatus: false };
  const fields = scope.fieldsOf(connection, subSelections(field));
  if (!fields || !scope.requires(connection)) return undefined;

  type Page = { rows: RowView[]; hasNextPage: boolean; hasPreviousPage: boolean; total: number };
  const entries: Array<readonly [string, Writer<Page>]> = [];
  for (const selected of fields) {
    if (selected.name === "__typename") {
      entries.push([selected.key, () => JSON.stringify(connection.name)]);
    } else if (selected.name === "totalCount") {
      needs.totalCount = true;
      entries.push([selected.key, (page) => String(page.total)]);
    } else if (selected.name === "pageInfo") {
      const pageInfo = pageInfoWriter(scope, selected);
      if (!pageInfo) return undefined;
      entries.push([selected.key, pageInfo]);
    } else if (selected.name === "edges") {
      const edge = edgeWriter(scope, selected, needs);
      if (!edge) return undefined;
      entries.push([selected.key, (page) => `[${page.rows.map(edge).join(",")}]`]);
    } else {
      return undefined;
    }
  }
  const write = objectWriter(entries);
  const run: CompiledRootField = async (context: Context, variables) => {
    const args = argumentsOf(field, variables);
    if (!args || !plainArguments(args)) return undefined;
    const { first, after, last, before } = args as { first?: number | null; after?: string | null; last?: unknown; before?: unknown };
    // Backward pages and bad sizes are the executor's (and its errors).
    if (last != null || before != null || (first != null && first < 0)) return undefined;
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
    const rows = await context.sql<Row & { _total: number | null; _verification: string | null }>(statement.text, statement.values);
    const first_ = rows[0];
    const verification = (first_?._verification ?? "MISSING") as VerificationStatus;
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

function pageInfoWriter(scope: CompileScope, field: SelectedField): Writer<{ rows: RowView[]; hasNextPage: boolean; hasPreviousPage: boolean }> | undefined {
  const type = getNamedType(field.def.type);
  if (!isObjectType(type) || !scope.requires(type)) return undefined;
  const fields = scope.fieldsOf(type, subSelections(field));
  if (!fields) return undefined;
  const entries: Array<readonly [string, Writer<{ rows: RowView[]; hasNextPage: boolean; hasPreviousPage: boolean }>]> = [];
  for (const selected of fields) {
    switch (selected.name) {
      case "__typename":
        entries.push([selected.key, () => JSON.stringify(type.name)]);
        break;
      case "hasNextPage":
        entries.push([selected.key, (page) => String(page.hasNextPage)]);
        break;
      case "hasPreviousPage":
        entries.push([selected.key, (page) => String(page.hasPreviousPage)]);
        break;
      case "startCursor":
        entries.push([selected.key, (page) => (page.rows.length ? JSON.stringify(cursorOf(page.rows[0]!.row)) : "null")]);
        break;
      case "endCursor":
        entries.push([selected.key, (page) => (page.rows.length ? JSON.stringify(cursorOf(page.rows[page.rows.length - 1]!.row)) : "null")]);
        break;
      default:
        return undefined;
    }
  }
  return objectWriter(entries);
}

function edgeWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const type = getNamedType(field.def.type);
  if (!isObjectType(type) || !scope.requires(type)) return undefined;
  const fields = scope.fieldsOf(type, subSelections(field));
  if (!fields) return undefined;
  const entries: Array<readonly [string, Writer<RowView>]> = [];
  for (const selected of fields) {
    if (selected.name === "__typename") entries.push([selected.key, () => JSON.stringify(type.name)]);
    else if (selected.name === "cursor") entries.push([selected.key, (view) => JSON.stringify(cursorOf(view.row))]);
    else if (selected.name === "node") {
      const node = numberWriter(scope, selected, needs);
      if (!node) return undefined;
      entries.push([selected.key, node]);
    } else return undefined;
  }
  return objectWriter(entries);
}

/** Fields of PhoneNumber with a resolver of their own that this path writes the same way. */
const NUMBER_FIELDS: Record<string, { columns: NumberColumn[]; write: Writer<RowView> }> = {
  label: { columns: ["label"], write: ({ row }) => (row.label ? JSON.stringify(row.label) : "null") },
  supportsInbound: { columns: ["direction"], write: ({ row }) => String(allowsInbound(row.direction as StoredNumber["direction"])) },
  supportsOutbound: { columns: ["direction"], write: ({ row }) => String(allowsOutbound(row.direction as StoredNumber["direction"])) },
};

function numberWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const type = getNamedType(field.def.type);
  if (!isObjectType(type) || type.name !== "PhoneNumber" || !scope.requires(type)) return undefined;
  const fields = scope.fieldsOf(type, subSelections(field));
  if (!fields) return undefined;
  const entries: Array<readonly [string, Writer<RowView>]> = [];
  for (const selected of fields) {
    if (selected.name === "__typename") {
      entries.push([selected.key, () => '"PhoneNumber"']);
      continue;
    }
    if (!scope.requires(selected.def) || (selected.def.args.length && selected.name !== "agent")) return undefined;
    if (selected.name === "id") {
      entries.push([selected.key, ({ row }) => JSON.stringify(encodeGlobalID("PhoneNumber", row.id!))]);
    } else if (selected.name === "agent") {
      const agent = agentWriter(scope, selected, needs);
      if (!agent) return undefined;
      entries.push([selected.key, (view) => (view.row.agentId === null ? "null" : agent(view))]);
    } else if (selected.name === "setupStatus") {
      const status = setupStatusWriter(scope, selected, needs);
      if (!status) return undefined;
      entries.push([selected.key, status]);
    } else if (NUMBER_FIELDS[selected.name]) {
      const { columns, write } = NUMBER_FIELDS[selected.name]!;
      for (const column of columns) needs.numberColumns.add(column);
      entries.push([selected.key, write]);
    } else {
      const column = exposedProperty(selected) as NumberColumn | undefined;
      const write = column && leafWriter(selected.def.type);
      if (!column || !write) return undefined;
      needs.numberColumns.add(column);
      entries.push([selected.key, ({ row }) => (row[column] == null ? "null" : write(row[column]))]);
    }
  }
  return objectWriter(entries);
}

function agentWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const type = getNamedType(field.def.type) as GraphQLObjectType;
  if (!isObjectType(type) || type.name !== "Agent" || !scope.requires(type)) return undefined;
  const fields = scope.fieldsOf(type, subSelections(field));
  if (!fields) return undefined;
  const entries: Array<readonly [string, Writer<RowView>]> = [];
  for (const selected of fields) {
    if (selected.name === "__typename") {
      entries.push([selected.key, () => '"Agent"']);
      continue;
    }
    if (!scope.requires(selected.def)) return undefined;
    if (selected.name === "id") {
      entries.push([selected.key, ({ row }) => JSON.stringify(encodeGlobalID("Agent", row.agentId!))]);
    } else if (selected.name === "phoneNumbers") {
      const count = agentNumbersWriter(scope, selected);
      if (!count) return undefined;
      needs.agentCount = true;
      entries.push([selected.key, count]);
    } else {
      const column = exposedProperty(selected) as keyof Agent | undefined;
      const write = column && !selected.def.args.length && leafWriter(selected.def.type);
      if (!column || !write) return undefined;
      needs.agentColumns.add(column);
      const key = `agent.${column}`;
      entries.push([selected.key, ({ row }) => (row[key] == null ? "null" : write(row[key]))]);
    }
  }
  return objectWriter(entries);
}

/** `agent { phoneNumbers { totalCount } }`: the count only, with no argument that could fail or page. */
function agentNumbersWriter(scope: CompileScope, field: SelectedField): Writer<RowView> | undefined {
  if (field.nodes.some((node) => node.arguments?.some((arg) => arg.name.value !== "first" || arg.value.kind !== "IntValue" || Number(arg.value.value) < 0))) return undefined;
  const type = getNamedType(field.def.type);
  if (!isObjectType(type) || !scope.requires(type)) return undefined;
  const fields = scope.fieldsOf(type, subSelections(field));
  if (!fields) return undefined;
  const entries: Array<readonly [string, Writer<RowView>]> = [];
  for (const selected of fields) {
    if (selected.name === "__typename") entries.push([selected.key, () => JSON.stringify(type.name)]);
    else if (selected.name === "totalCount") entries.push([selected.key, ({ row }) => String(row["agent._count"])]);
    else return undefined;
  }
  return objectWriter(entries);
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

const TRUNK_LISTS = ["inboundTrunkAddresses", "inboundTrunkAllowedSourceIps", "outboundTrunkAddresses", "outboundTrunkAllowedSourceIps"] as const;

/**
 * The row made into what setupStatusOf reads of a stored number, in place (each row is read once):
 * lists never null, times as Dates, the agent's status.
 */
function storedNumber(row: Row): StoredNumber {
  for (const list of TRUNK_LISTS) row[list] ??= [];
  for (const time of ["suspendedAt", "forwardingConfirmedAt"]) if (typeof row[time] === "string") row[time] = new Date(`${row[time] as string}Z`);
  row.agent = row.agentId === null ? null : { status: row["agent.status"] };
  return row as unknown as StoredNumber;
}

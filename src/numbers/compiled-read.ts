import { formatPrismaCursor, parsePrismaCursor } from "@pothos/plugin-prisma";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../limits/cost.ts";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../context.ts";
import { isUuid } from "../domain/global-id.ts";
import { allowsInbound, allowsOutbound, computeSetupStatus, type NumberDirection, type OrganizationVerificationStatuses, type VerificationStatus } from "../domain/setup-status.ts";
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
import { compiledPageOutputs, compiledPageSql, type CompiledPageNeeds, type NumberColumn } from "./page-query.ts";
import { SETUP_STATUS_COLUMNS, SETUP_STATUS_FLAGS, setupInputOf, type SetupColumn } from "./setup-status-read.ts";
import type { PhoneNumberFilter, PhoneNumberOrder } from "./service.ts";

/**
 * `Query.phoneNumbers` as a compiled read (src/schema/compiled-reads.ts): one statement
 * (compiledPageSql) and a writer per selected field, for the selections lists are made of: the
 * connection's edges, cursors, page info and total; a number's exposed columns, id, label,
 * supportsInbound/Outbound and setup status; its agent's exposed columns, id and count of numbers.
 * Paging follows plugin-prisma's cursor connection exactly (page size default 20, maximum 100, one
 * extra row for hasNextPage, the cursor row skipped). Anything else is left to the executor.
 *
 * Rows arrive as arrays (SqlReader.arrays). Each writer asks `Layout` for the slot of the value it
 * writes while it is compiled; once the selection is compiled, the statement's columns are known
 * (compiledPageOutputs) and every slot gets its index.
 */

type Row = unknown[];

/** Where each value a writer reads sits in a row, known once the whole selection is compiled. */
class Layout {
  readonly #slots = new Map<string, { index: number }>();

  /** The slot of the output named `name` (see compiledPageOutputs); its index is set by `settle`. */
  slot(name: string): { readonly index: number } {
    let slot = this.#slots.get(name);
    if (!slot) this.#slots.set(name, (slot = { index: -1 }));
    return slot;
  }

  settle(outputs: readonly string[]): void {
    for (const [name, slot] of this.#slots) {
      slot.index = outputs.indexOf(name);
      if (slot.index < 0) throw new Error(`compiled read: the statement does not read ${name}`);
    }
  }
}

/** The connection defaults of the builder (src/schema/builder.ts). */
const DEFAULT_SIZE = DEFAULT_PAGE_SIZE;
const MAX_SIZE = MAX_PAGE_SIZE;

/** What the writers of one operation's page need from its statement. */
interface PageNeeds {
  layout: Layout;
  numberColumns: Set<NumberColumn>;
  /** Setup status's yes/no inputs (SETUP_STATUS_FLAGS) are read. */
  setupFlags: boolean;
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
  const layout = new Layout();
  const needs: PageNeeds = { layout, numberColumns: new Set(), setupFlags: false, agentColumns: new Set(), agentCount: false, totalCount: false, verificationStatus: false };
  const write = compileObject<Page>(scope, field, (selected) => {
    if (selected.name === "totalCount") {
      needs.totalCount = true;
      return (page) => String(page.total);
    }
    if (selected.name === "pageInfo") return pageInfoWriter(scope, selected, needs.layout.slot("id"));
    if (selected.name !== "edges") return undefined;
    const edge = edgeWriter(scope, selected, needs);
    return edge && ((page) => `[${page.rows.map(edge).join(",")}]`);
  });
  if (!write) return undefined;
  const [total, tenDlc, tollFree, id] = ["_total", "_verification", "_tollFreeVerification", "id"].map((name) => layout.slot(name)) as [Slot, Slot, Slot, Slot];
  const pageNeeds = needsOf(needs);
  layout.settle(compiledPageOutputs(pageNeeds));
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
        pageNeeds,
      );
    } catch {
      // A malformed agent id in the filter: the executor's coded error.
      return undefined;
    }
    const rows = await context.sql.arrays(statement.text, statement.values);
    const first_ = rows[0];
    const verification: OrganizationVerificationStatuses = {
      tenDlc: ((first_?.[tenDlc.index] as VerificationStatus | null) ?? "MISSING"),
      tollFree: ((first_?.[tollFree.index] as VerificationStatus | null) ?? "MISSING"),
    };
    const found = rows.filter((row) => row[id.index] !== null);
    const hasNextPage = found.length === take;
    const pageRows = hasNextPage ? found.slice(0, -1) : found;
    return write({ rows: pageRows.map((row) => ({ row, verification })), hasNextPage, hasPreviousPage: after != null, total: (first_?.[total.index] as number | null) ?? 0 });
  };
  return run;
};

type Slot = { readonly index: number };

function needsOf(needs: PageNeeds): CompiledPageNeeds {
  return {
    numberColumns: [...needs.numberColumns],
    numberExpressions: needs.setupFlags ? [SETUP_STATUS_FLAGS] : [],
    agentColumns: [...needs.agentColumns],
    agentCount: needs.agentCount,
    totalCount: needs.totalCount,
    verificationStatus: needs.verificationStatus,
  };
}

/** The row's cursor, as plugin-prisma's `cursor: "id"` connection writes it. */
const cursorOf = (row: Row, id: Slot) => formatPrismaCursor({ id: row[id.index] }, "id");

function pageInfoWriter(scope: CompileScope, field: SelectedField, id: Slot): Writer<Page> | undefined {
  const cursorAt = (page: Page, index: number) => (page.rows.length ? JSON.stringify(cursorOf(page.rows.at(index)!.row, id)) : "null");
  const writers: Record<string, Writer<Page>> = {
    hasNextPage: (page) => String(page.hasNextPage),
    hasPreviousPage: (page) => String(page.hasPreviousPage),
    startCursor: (page) => cursorAt(page, 0),
    endCursor: (page) => cursorAt(page, -1),
  };
  return compileObject<Page>(scope, field, (selected) => writers[selected.name]);
}

function edgeWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const id = needs.layout.slot("id");
  return compileObject<RowView>(scope, field, (selected) => {
    if (selected.name === "cursor") return (view) => JSON.stringify(cursorOf(view.row, id));
    return selected.name === "node" ? numberWriter(scope, selected, needs) : undefined;
  });
}

/** Fields of PhoneNumber with a resolver of their own that this path writes the same way, from the value of one column. */
const NUMBER_FIELDS: Record<string, { column: NumberColumn; write: Writer }> = {
  label: { column: "label", write: (label) => (label ? JSON.stringify(label) : "null") },
  supportsInbound: { column: "direction", write: (direction) => String(allowsInbound(direction as NumberDirection)) },
  supportsOutbound: { column: "direction", write: (direction) => String(allowsOutbound(direction as NumberDirection)) },
};

/** An exposed scalar or enum field read from the row's output `name(column)`, or undefined for any other field. */
function columnWriter(selected: SelectedField, layout: Layout, name: (column: string) => string): { column: string; write: Writer<RowView> } | undefined {
  const column = exposedProperty(selected);
  const write = column && !selected.def.args.length && leafWriter(selected.def.type);
  if (!column || !write) return undefined;
  const at = layout.slot(name(column));
  return { column, write: ({ row }) => (row[at.index] == null ? "null" : write(row[at.index])) };
}

function numberWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const { layout } = needs;
  const id = layout.slot("id");
  const agentId = layout.slot("agentId");
  return compileObject<RowView>(
    scope,
    field,
    (selected) => {
      if (selected.name === "id") return ({ row }) => JSON.stringify(encodeGlobalID("PhoneNumber", row[id.index] as string));
      if (selected.name === "agent") {
        const agent = agentWriter(scope, selected, needs);
        return agent && ((view) => (view.row[agentId.index] === null ? "null" : agent(view)));
      }
      if (selected.name === "setupStatus") return setupStatusWriter(scope, selected, needs);
      const own = NUMBER_FIELDS[selected.name];
      if (own) {
        needs.numberColumns.add(own.column);
        const at = layout.slot(own.column);
        return ({ row }) => own.write(row[at.index]);
      }
      const exposed = columnWriter(selected, layout, (column) => column);
      if (exposed) needs.numberColumns.add(exposed.column as NumberColumn);
      return exposed?.write;
    },
    "PhoneNumber",
  );
}

function agentWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const agentId = needs.layout.slot("agentId");
  return compileObject<RowView>(
    scope,
    field,
    (selected) => {
      if (selected.name === "id") return ({ row }) => JSON.stringify(encodeGlobalID("Agent", row[agentId.index] as string));
      if (selected.name === "phoneNumbers") {
        const count = agentNumbersWriter(scope, selected, needs.layout);
        if (count) needs.agentCount = true;
        return count;
      }
      const exposed = columnWriter(selected, needs.layout, (column) => `agent.${column}`);
      if (exposed) needs.agentColumns.add(exposed.column as keyof Agent);
      return exposed?.write;
    },
    "Agent",
  );
}

/** `agent { phoneNumbers { totalCount } }`: the count only, with no argument that could fail or page. */
function agentNumbersWriter(scope: CompileScope, field: SelectedField, layout: Layout): Writer<RowView> | undefined {
  if (field.nodes.some((node) => node.arguments?.some((arg) => arg.name.value !== "first" || arg.value.kind !== "IntValue" || Number(arg.value.value) < 0 || Number(arg.value.value) > MAX_SIZE))) return undefined;
  const count = layout.slot("agent._count");
  return compileObject<RowView>(scope, field, (selected) => (selected.name === "totalCount" ? ({ row }) => String(row[count.index]) : undefined));
}

/**
 * Setup status: computed by the domain's computeSetupStatus from the columns and flags the compiled
 * read asks for (src/numbers/setup-status-read.ts), as the field's resolver computes it
 * (setupStatusOf) from the whole row.
 */
function setupStatusWriter(scope: CompileScope, field: SelectedField, needs: PageNeeds): Writer<RowView> | undefined {
  const write = plainWriter(scope, field.def.type, subSelections(field));
  if (!write) return undefined;
  const { layout } = needs;
  for (const column of SETUP_STATUS_COLUMNS) needs.numberColumns.add(column);
  needs.setupFlags = true;
  needs.agentColumns.add("status");
  needs.verificationStatus = true;
  const columns = Object.fromEntries(SETUP_STATUS_COLUMNS.map((column) => [column, layout.slot(column)])) as Record<SetupColumn, Slot>;
  const flags = layout.slot(SETUP_STATUS_FLAGS[0]);
  const agentStatus = layout.slot("agent.status");
  const agentId = layout.slot("agentId");
  return ({ row, verification }) => {
    const agent = row[agentId.index] === null ? null : (row[agentStatus.index] as "ACTIVE" | "PAUSED");
    return write(computeSetupStatus(setupInputOf(row, columns, row[flags.index] as number, agent, verification)));
  };
}

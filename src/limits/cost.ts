import { complexityFromQuery } from "@pothos/plugin-complexity";
import type { FieldComplexityValue } from "@pothos/plugin-complexity";
import { getNamedType, isLeafType, isListType, isNonNullType, Kind, type DocumentNode, type GraphQLField, type GraphQLOutputType, type GraphQLSchema, type OperationDefinitionNode } from "graphql";

/**
 * What an operation costs, computed from its shape before anything runs (@pothos/plugin-complexity
 * walks the selection with each field's cost):
 * - a scalar or enum field costs 0, an object field 1;
 * - a connection costs 1 plus its page size (`first` or `last`, else the default 20) times the cost
 *   of one edge, so `first: 100` inside `first: 100` costs 10,000;
 * - a plain list multiplies its items' cost by 10, unless the field declares its own size
 *   (`nodes(ids)` by the number of ids, `availablePhoneNumbers` by its `limit`);
 * - fields that call a carrier or count a table declare more (see CARRIER_CALL_COST and the
 *   `complexity` option on those fields).
 */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** What a list multiplies its items by when its size is not known from its arguments. */
export const UNKNOWN_LIST_SIZE = 10;
/** A `totalCount` or facet count runs a COUNT over the filtered set. */
export const COUNT_COST = 2;
/** One call to the carrier's API: far more than a column (latency, money, the carrier's own limits). */
export const CARRIER_CALL_COST = 100;
/** A mutation writes: more than a read of the same object. */
export const MUTATION_COST = 10;

function isConnectionField(field: GraphQLField<unknown, unknown>): boolean {
  return getNamedType(field.type).name.endsWith("Connection") && field.args.some((arg) => arg.name === "first");
}

function isEdgeList(type: GraphQLOutputType): boolean {
  const list = isNonNullType(type) ? type.ofType : type;
  return isListType(list) && getNamedType(list).name.endsWith("Edge");
}

/** The requested size of a connection page, as the relay plugin will clamp it. */
export function pageSize(args: { first?: unknown; last?: unknown }): number {
  const requested = typeof args.first === "number" ? args.first : typeof args.last === "number" ? args.last : DEFAULT_PAGE_SIZE;
  return Math.min(Math.max(requested, 0), MAX_PAGE_SIZE);
}

/** The default cost of every field that does not declare its own (the builder's `fieldComplexity`). */
export function fieldCost(args: Record<string, unknown>, _context: unknown, field: GraphQLField<unknown, unknown>): FieldComplexityValue {
  if (isLeafType(getNamedType(field.type))) return field.name === "totalCount" ? COUNT_COST : 0;
  if (isConnectionField(field)) return { field: 1, multiplier: pageSize(args) };
  // Every mutation returns a <Name>Payload union.
  if (getNamedType(field.type).name.endsWith("Payload")) return MUTATION_COST;
  // The connection already multiplied by its page size.
  if (isEdgeList(field.type)) return { field: 0, multiplier: 1 };
  const list = isNonNullType(field.type) ? field.type.ofType : field.type;
  return isListType(list) ? { field: 1, multiplier: UNKNOWN_LIST_SIZE } : 1;
}

/**
 * Carrier-spending work an operation asks for (messages sent, numbers bought), counted while its
 * cost is computed. It is drawn from a separate, lower budget.
 */
export interface CostContext {
  carrierUnits: number;
}

/** The `complexity` option of a field that spends at the carrier: its cost, and `units` against the carrier budget. */
export function carrierSpending(units: (args: Record<string, unknown>) => number) {
  return (args: Record<string, unknown>, context: unknown): FieldComplexityValue => {
    const n = Math.max(1, Math.floor(units(args)) || 1);
    const cost = context as Partial<CostContext>;
    if (typeof cost.carrierUnits === "number") cost.carrierUnits += n;
    return { field: CARRIER_CALL_COST * n };
  };
}

export interface OperationCost {
  /** The cost of the selected operation. */
  cost: number;
  /** Deepest field nesting. */
  depth: number;
  /** Fields selected in all, fragments expanded. */
  breadth: number;
  /** Units drawn from the carrier budget (messages sent, numbers bought). */
  carrierUnits: number;
}

/**
 * The cost of the operation a request selects. Fragments are measured once per selection set, so
 * fragment fan-out is measured in linear time. Invalid variables throw (the caller lets execution
 * report them as usual).
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): OperationCost {
  // complexityFromQuery measures the first operation of a document: give it the selected one and the fragments.
  const selected: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [operation, ...document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)],
  };
  const context: CostContext = { carrierUnits: 0 };
  const result = complexityFromQuery(selected, { schema, ctx: context, variables: variables ?? {} });
  return { cost: result.complexity, depth: result.depth, breadth: result.breadth, carrierUnits: context.carrierUnits };
}

import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin, { decodeGlobalID } from "@pothos/plugin-relay";
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from "@pothos/plugin-scope-auth";
import WithInputPlugin from "@pothos/plugin-with-input";
import { GraphQLError, GraphQLScalarType } from "graphql";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import { forbiddenError, grants } from "../auth/scopes.ts";
import { isUuid } from "../domain/global-id.ts";
import { DEFAULT_PAGE_SIZE, fieldCost, MAX_PAGE_SIZE } from "../limits/cost.ts";
import type { Context } from "../context.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import InputLimitsPlugin from "./input-limits-plugin.ts";

export interface SchemaTypes {
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { scope: string };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}

/**
 * The values of a GraphQL enum, exactly one per value of its one source (a Prisma enum or a domain
 * list): `values: { ... } satisfies EnumValues<NumberStatus>`, so a value added on one side only
 * fails type checking.
 */
export type EnumValues<Value extends string> = Record<Value, { description: string }>;

/** `nodes(ids)` loads at most this many objects per call. */
export const MAX_NODES_IDS = 100;

/** The object types with global ids, known once the schema is built (src/schema/index.ts). */
let nodeTypeNames: ReadonlySet<string> | undefined;
export function setNodeTypeNames(names: Iterable<string>): void {
  nodeTypeNames = new Set(names);
}


/**
 * DateTime (graphql-scalars) limited to the years 1 to 9999: PostgreSQL cannot store year 0 and
 * JavaScript dates reach year 275760, so a far date is refused as bad input before it is used.
 */
const BoundedDateTime = (() => {
  const inRange = (date: Date) => {
    const year = date.getUTCFullYear();
    if (!(year >= 1 && year <= 9999)) throw new GraphQLError("DateTime must be between the years 1 and 9999", { extensions: { code: "BAD_USER_INPUT" } });
    return date;
  };
  const config = DateTimeResolver.toConfig();
  const parseValue = (value: unknown) => inRange(config.parseValue!(value) as Date);
  return new GraphQLScalarType<Date, Date | string>({
    ...config,
    // graphql 17 coerces variables with coerceInputValue when a scalar has it (graphql-scalars does).
    parseValue,
    coerceInputValue: parseValue,
    parseLiteral: (ast, variables) => inRange(config.parseLiteral!(ast, variables) as Date),
  });
})();

/** The scopes whose absence made an authorization fail (every field here requires one `scope`). */
function scopesIn(failure: AuthFailure): string[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return failure.scope === "scope" && typeof failure.parameter === "string" ? [failure.parameter] : [];
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return [...new Set(failure.failures.flatMap(scopesIn))];
    default:
      return [];
  }
}

const capitalize = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export const builder = new SchemaBuilder<SchemaTypes>({
  // Non-null unless a field says otherwise: clients need not null-check what always exists.
  defaultFieldNullability: false,
  plugins: [
    // First, so every field's scope check runs before anything else resolves.
    ScopeAuthPlugin,
    // Expected failures become typed members of a mutation's <Name>Payload union.
    ErrorsPlugin,
    // Arguments checked before resolvers run (NUL, lone surrogates, maximum lengths); inside
    // ErrorsPlugin, so a mutation's problems become its ValidationError.
    InputLimitsPlugin,
    // Prisma-backed types whose nested selections merge into one query per level (no N+1).
    PrismaPlugin,
    // Node interface, global ids, node/nodes and cursor connections.
    RelayPlugin,
    // One `input: <Name>Input!` argument per mutation.
    WithInputPlugin,
    // Each field's cost, so an operation's cost is known before it runs (checked in src/limits).
    ComplexityPlugin,
  ],
  scopeAuth: {
    // Subscriptions are refused when they start, not silently opened and failed on every event.
    authorizeOnSubscribe: true,
    authScopes: (context) => ({ scope: (required: string) => grants(context.caller.scopes, required) }),
    // A missing scope is a transport-level FORBIDDEN error on the field, never a union member.
    unauthorizedError: (_parent, _context, info, result) => forbiddenError(`${info.parentType.name}.${info.fieldName}`, scopesIn(result.failure)),
  },
  prisma: {
    client: (context) => context.prisma,
    dmmf: getDatamodel(),
    // Counts apply the connection's own `where`, so totalCount matches the listed rows.
    filterConnectionTotalCount: true,
    // A larger page is refused before this applies (src/schema/input-limits-plugin.ts).
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
  },
  relay: {
    clientMutationId: "omit",
    // A malformed id in node/nodes is the client's mistake: a coded BAD_USER_INPUT error, not a bare message.
    decodeGlobalID: (globalID: string) => {
      let decoded: { typename: string; id: string } | undefined;
      try {
        decoded = decodeGlobalID(globalID);
      } catch {
        decoded = undefined;
      }
      // Every object's id is a uuid, and only Node types have global ids: anything else would reach
      // the database as a malformed value, or name an internal type in an uncoded error.
      if (!decoded || !isUuid(decoded.id) || (nodeTypeNames && !nodeTypeNames.has(decoded.typename))) {
        const shown = globalID.length > 60 ? `${JSON.stringify(globalID.slice(0, 60))}...` : JSON.stringify(globalID);
        throw new GraphQLError(`${shown} is not a valid id`, { extensions: { code: "BAD_USER_INPUT" } });
      }
      return decoded;
    },
    cursorType: "String",
    edgesFieldOptions: { nullable: false, description: "The items of this page, each with its cursor." },
    nodeFieldOptions: { nullable: false, description: "The item." },
    nodeTypeOptions: { description: "An object with a globally unique, opaque id." },
    pageInfoTypeOptions: { description: "Where a page of a connection sits in the whole list." },
    idFieldOptions: { description: "Globally unique, opaque id." },
    nodeQueryOptions: {
      description: "Fetches any object by its global id; null when it does not exist or belongs to another organization.",
      args: { id: { description: "A global id." } },
    },
    nodesQueryOptions: {
      description: "Fetches objects by their global ids, in order; null for ids that do not exist or belong to another organization.",
      args: { ids: { description: `Global ids (at most ${MAX_NODES_IDS} of them).` } },
      // Each id may load an object: the list costs its length.
      complexity: (args: { ids?: unknown[] }) => {
        const ids = Array.isArray(args.ids) ? args.ids.length : 0;
        // Refused while the cost is computed, so it is refused before execution and draws no budget.
        if (ids > MAX_NODES_IDS) throw new GraphQLError(`nodes takes at most ${MAX_NODES_IDS} ids (got ${ids})`, { extensions: { code: "BAD_USER_INPUT" } });
        return { field: ids, multiplier: ids };
      },
      resolve: (_root, args, _context, _info, resolveNodes) => {
        if (args.ids.length > MAX_NODES_IDS) {
          throw new GraphQLError(`nodes takes at most ${MAX_NODES_IDS} ids (got ${args.ids.length})`, { extensions: { code: "BAD_USER_INPUT" } });
        }
        return resolveNodes(args.ids);
      },
    },
    cursorFieldOptions: { description: "Opaque cursor of this edge, for `after` and `before`." },
    hasNextPageFieldOptions: { description: "Whether more items follow this page." },
    hasPreviousPageFieldOptions: { description: "Whether items precede this page." },
    startCursorFieldOptions: { description: "Cursor of the first item of the page." },
    endCursorFieldOptions: { description: "Cursor of the last item of the page." },
    pageInfoFieldOptions: { description: "Pagination details of this page." },
    beforeArgOptions: { description: "Return items before this cursor." },
    afterArgOptions: { description: "Return items after this cursor." },
    firstArgOptions: { description: `Return at most this many items from the start: 0 to ${MAX_PAGE_SIZE} (larger is BAD_USER_INPUT), ${DEFAULT_PAGE_SIZE} when neither first nor last is given.` },
    lastArgOptions: { description: `Return at most this many items from the end: 0 to ${MAX_PAGE_SIZE} (larger is BAD_USER_INPUT); not with first.` },
  },
  complexity: {
    fieldComplexity: fieldCost as never,
    // The limits are checked once per operation by the server's limits plugin, before execution
    // (also for rate limiting by cost), not by wrapping every root field.
    disabled: true,
  },
  errors: {
    directResult: true,
    defaultUnionOptions: {
      name: ({ fieldName }) => `${capitalize(fieldName)}Payload`,
      description: "The result of the mutation of the same name: its Success type or one of its expected errors.",
    },
  },
  withInput: {
    typeOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Input` },
    argOptions: { description: "The mutation's input." },
  },
});

builder.addScalarType("DateTime", BoundedDateTime, {});
builder.addScalarType("JSON", JSONResolver, {});

builder.queryType({ description: "Reads: every query is scoped to the caller's organization." });
builder.mutationType({ description: "Changes: verb first, one `input`, a <Name>Payload union of success and typed errors." });

import { GraphQLError, isObjectType, Kind, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { Context } from "../context.ts";
import { ValidationError } from "../domain/errors.ts";
import { COLUMNS_EXTENSION, loadPhoneNumberPage, plannedShape, type NumberColumn, type PlannedQuery } from "./page-query.ts";
import type { PhoneNumberFilter, PhoneNumberOrder } from "./service.ts";

interface ListArgs {
  filter?: PhoneNumberFilter | null;
  orderBy?: PhoneNumberOrder | null;
}

/** The total a page's statement counted, for the connection's `totalCount` (same field, same info). */
const counted = new WeakMap<GraphQLResolveInfo, Promise<number>>();

/**
 * `Query.phoneNumbers`: one statement (src/numbers/page-query.ts) for the shapes it answers, which
 * also counts the set when `totalCount` is asked and reads the organization's 10DLC status when a
 * number's `setupStatus` is; Prisma's findMany for the rest.
 */
export async function resolvePhoneNumberPage(query: PlannedQuery, args: ListArgs, context: Context, info: GraphQLResolveInfo) {
  return asUserInput(async () => {
    if (!plannedShape(query)) {
      return context.prisma.phoneNumber.findMany({
        ...(query as object),
        where: context.services.numbers.where(context.caller, args.filter),
        orderBy: context.services.numbers.orderBy(args.orderBy),
      });
    }
    const organizationId = context.caller.organizationId;
    // What the selection asks of the page, read once (skip/include directives are ignored: at worst it loads more).
    const onConnection = new Set<string>();
    for (const node of info.fieldNodes) fieldNames(info, node.selectionSet, onConnection);
    const onNumbers = numberFieldNames(info);
    const needs = {
      totalCount: onConnection.has("totalCount"),
      verificationStatus: onNumbers.has("setupStatus"),
      columns: columnsFor(info, onNumbers),
    };
    const page = loadPhoneNumberPage(context.prisma, organizationId, args, query, needs);
    if (needs.totalCount) {
      const total = page.then((p) => p.totalCount ?? 0);
      // A failed page fails this resolver (below); totalCount is then never asked, so its copy of the
      // failure must not surface as an unhandled rejection.
      total.catch(() => {});
      counted.set(info, total);
    }
    const loaded = await page;
    if (loaded.verificationStatus) context.loaders.primeVerificationStatuses(organizationId, loaded.verificationStatus);
    return loaded.rows;
  });
}

/** `PhoneNumberConnection.totalCount`: what the page's statement counted, or a count of its own. */
export function phoneNumberTotalCount(args: ListArgs, context: Context, info: GraphQLResolveInfo): Promise<number> {
  return counted.get(info) ?? asUserInput(() => context.prisma.phoneNumber.count({ where: context.services.numbers.where(context.caller, args.filter) }));
}

/** A malformed filter (an agent id that is not one) is the client's input: queries have no payload union. */
async function asUserInput<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ValidationError) throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
    throw error;
  }
}

/** The fields selected on the page's numbers (`edges.node` and `nodes`), through fragments. */
function numberFieldNames(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  for (const node of info.fieldNodes) {
    const edges = childSets(info, node.selectionSet, "edges").flatMap((set) => childSets(info, set, "node"));
    for (const set of [...edges, ...childSets(info, node.selectionSet, "nodes")]) fieldNames(info, set, names);
  }
  return names;
}

/**
 * The columns these PhoneNumber fields read, from each field's declaration
 * (src/numbers/schema/types.ts), or "all" when a field declares none.
 */
function columnsFor(info: GraphQLResolveInfo, names: ReadonlySet<string>): NumberColumn[] | "all" {
  const type = info.schema.getType("PhoneNumber");
  if (!isObjectType(type)) return "all";
  const fields = type.getFields();
  const columns: NumberColumn[] = [];
  for (const name of names) {
    if (name === "__typename" || name === "id") continue;
    const extensions = fields[name]?.extensions as { pothosExposedField?: NumberColumn; [COLUMNS_EXTENSION]?: NumberColumn[] } | undefined;
    if (extensions?.[COLUMNS_EXTENSION]) columns.push(...extensions[COLUMNS_EXTENSION]);
    else if (extensions?.pothosExposedField) columns.push(extensions.pothosExposedField);
    else return "all";
  }
  return columns;
}

/** The selection sets of the fields called `name` directly in `set` (through fragments). */
function childSets(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, name: string): SelectionSetNode[] {
  const found: SelectionSetNode[] = [];
  for (const selection of set?.selections ?? []) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === name && selection.selectionSet) found.push(selection.selectionSet);
    } else {
      const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : info.fragments[selection.name.value]?.selectionSet;
      found.push(...childSets(info, inner, name));
    }
  }
  return found;
}

/** The names of the fields selected directly in `set` (through fragments). */
function fieldNames(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, into: Set<string>): void {
  for (const selection of set?.selections ?? []) {
    if (selection.kind === Kind.FIELD) into.add(selection.name.value);
    else fieldNames(info, selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : info.fragments[selection.name.value]?.selectionSet, into);
  }
}

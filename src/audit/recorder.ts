import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { PothosValidationError } from "@pothos/core";
import {
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  isUnionType,
  Kind,
  valueFromASTUntyped,
  type ExecutionResult,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { Caller } from "../auth/caller.ts";
import { rootFields } from "../auth/mutation-preflight.ts";
import type { Context } from "../context.ts";
import type { PrismaClient } from "../db/client.ts";
import type { AuditActorType } from "../generated/prisma/enums.ts";
import { auditInput, idCandidates, storable } from "./redaction.ts";

/**
 * How an object type of a mutation payload names its targets when its fields are not simply its
 * value's properties (`extensions: { [AUDIT_TARGETS]: (value) => globalIds }`). Otherwise every
 * field whose type is a Node is read as the value's property of the same name.
 */
export const AUDIT_TARGETS = "auditTargets";

/** What one mutation field's resolver ended with, captured as it finished. */
interface FieldOutcome {
  input: unknown;
  resultType: string;
  resultTargets: string[];
}

/** The outcomes of the mutation operation executing with this context, by response key. */
const executing = new WeakMap<object, Map<string, FieldOutcome>>();

/**
 * Wraps every Mutation field's resolver (outermost: around scope checks, input limits and the
 * payload union) so that what it returned or threw is known to the audit log: the payload's type,
 * the global ids of the objects it holds, the coerced input. Called once on the built schema.
 */
export function captureMutationOutcomes(schema: GraphQLSchema): void {
  const mutationType = schema.getMutationType();
  if (!mutationType) return;
  for (const field of Object.values(mutationType.getFields())) {
    const resolve = field.resolve;
    if (!resolve) continue;
    field.resolve = async (parent, args, context, info) => {
      const outcomes = executing.get(context as object);
      if (!outcomes) return resolve(parent, args, context, info);
      const input = (args as { input?: unknown }).input ?? args;
      try {
        const value = await resolve(parent, args, context, info);
        const type = await payloadType(value, context, info);
        outcomes.set(String(info.path.key), { input, resultType: type?.name ?? "UNKNOWN", resultTargets: type ? targetsOf(type, value) : [] });
        return value;
      } catch (error) {
        outcomes.set(String(info.path.key), { input, resultType: errorCode(error), resultTargets: [] });
        throw error;
      }
    };
  }
}

/** The object type a payload value resolves to (its union member, as the executor will pick it). */
async function payloadType(value: unknown, context: unknown, info: GraphQLResolveInfo): Promise<GraphQLObjectType | undefined> {
  const returnType = getNullableType(info.returnType);
  if (isObjectType(returnType)) return returnType;
  if (!isUnionType(returnType) && !isInterfaceType(returnType)) return undefined;
  const resolved = await returnType.resolveType?.(value, context, info, returnType);
  const name = typeof resolved === "string" ? resolved : (resolved as { name?: string } | undefined)?.name;
  const type = name ? info.schema.getType(name) : undefined;
  return isObjectType(type) ? type : undefined;
}

/** Global ids of the Node objects a payload holds: only ids, never other values (a new key's secret stays out). */
function targetsOf(type: GraphQLObjectType, value: unknown): string[] {
  if (value === null || typeof value !== "object") return [];
  const declared = type.extensions[AUDIT_TARGETS] as ((value: unknown) => string[]) | undefined;
  if (declared) return declared(value);
  const ids: string[] = [];
  for (const field of Object.values(type.getFields())) {
    const named = getNamedType(field.type);
    if (!isObjectType(named) || !named.getInterfaces().some((i) => i.name === "Node")) continue;
    const held = (value as Record<string, unknown>)[field.name];
    for (const item of isListType(getNullableType(field.type)) && Array.isArray(held) ? held : [held]) {
      const id = (item as { id?: unknown } | null | undefined)?.id;
      if (typeof id === "string") ids.push(encodeGlobalID(named.name, id));
    }
  }
  return ids;
}

/** The code an error outside the payload union is reported with (masked errors are INTERNAL_ERROR). */
function errorCode(error: unknown): string {
  if (error instanceof GraphQLError) {
    if (typeof error.extensions.code === "string") return error.extensions.code;
    return error.originalError && !(error.originalError instanceof GraphQLError) ? errorCode(error.originalError) : "BAD_REQUEST";
  }
  if (error instanceof PothosValidationError) return "BAD_USER_INPUT";
  return "INTERNAL_ERROR";
}

/** The audit actor of a caller: an organization's API key, a platform operator key, or a JWT's subject. */
function actorOf(caller: Caller): { actorType: AuditActorType; actorId: string; actorName: string | null } {
  if (caller.apiKeyId) return { actorType: caller.operator ? "OPERATOR" : "API_KEY", actorId: caller.apiKeyId, actorName: caller.apiKeyName ?? null };
  return { actorType: "JWT", actorId: storable(caller.subject.replace(/^jwt:/, "").slice(0, 500)), actorName: null };
}

type YogaContext = Context & { request?: Request };

/**
 * The audit log: one AuditEvent row per mutation field of every mutation operation that reached
 * execution, whether it succeeded, returned an expected error of its payload union, threw, was
 * refused by the scope check before anything ran (FORBIDDEN), or did not run because the operation
 * stopped first (NOT_EXECUTED). Operations refused whole before execution by the operation limits
 * (rate, cost, depth, malformed variables) write nothing: they never became mutation calls, the
 * limits plugin logs them, and a row per refusal would let a flood write to the database.
 *
 * The rows are written once the operation finished, in one statement, before the response leaves.
 * This is at-least-the-attempt semantics: a row says a mutation was asked for and what it answered,
 * but the row is not part of the mutation's own writes. It cannot be: a mutation commits its own
 * transactions and calls carriers and payment providers, and a refused one has nothing to join.
 * So a failed audit write is logged as an error and the client still gets the mutation's result
 * (turning a change that happened into an error would invite a retry that repeats it); a crash
 * between a mutation's writes and this one loses that row.
 */
export function useAuditLog(deps: { prisma: PrismaClient; logger: Logger }): Plugin<Context> {
  const { prisma, logger } = deps;
  return {
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== "mutation") return;
      const context = args.contextValue as YogaContext;
      const outcomes = new Map<string, FieldOutcome>();
      executing.set(context, outcomes);
      return {
        async onExecuteDone({ result }) {
          executing.delete(context);
          if (!isExecutionResult(result)) return;
          const variables = (args.variableValues ?? {}) as Record<string, unknown>;
          const errors = result.errors ?? [];
          // Refused as a whole before any field was reached (operation limits, bad variables): no call happened.
          if (outcomes.size === 0 && errors.some((error) => !error.path?.length)) return;
          const actor = actorOf(context.caller);
          const requestId = storable(context.request?.headers.get("x-request-id")?.trim().slice(0, 200) ?? "") || null;
          const nodeTypes = nodeTypeNames(args.schema);
          const rows = rootFields(args.document, operation.selectionSet)
            .filter(({ node }) => !skipped(node, variables))
            .map(({ name, responseKey, node }) => {
              const outcome = outcomes.get(responseKey);
              const refusal = errors.find((error) => error.path?.[0] === responseKey);
              const input = outcome ? outcome.input : inputFromDocument(node, variables);
              const targets = new Set([...idCandidates(input).filter((id) => isGlobalId(id, nodeTypes)), ...(outcome?.resultTargets ?? [])]);
              return {
                organizationId: context.caller.operator ? null : context.caller.organizationId,
                ...actor,
                operation: name,
                operationName: operation.name?.value ?? null,
                targetIds: [...targets].slice(0, 200),
                resultType: outcome?.resultType ?? (refusal ? errorCode(refusal) : "NOT_EXECUTED"),
                input: auditInput(input) ?? {},
                requestId,
              };
            });
          if (rows.length === 0) return;
          try {
            await prisma.auditEvent.createMany({ data: rows });
          } catch (error) {
            logger.error({ err: error, operations: rows.map((row) => row.operation), actorId: actor.actorId }, "audit log write failed; the mutation's result stands");
          }
        },
      };
    },
  };
}

/** A field's `input` argument as the document and its variables give it (for fields that never ran). */
function inputFromDocument(node: FieldNode, variables: Record<string, unknown>): unknown {
  const argument = node.arguments?.find((arg) => arg.name.value === "input");
  return argument ? valueFromASTUntyped(argument.value, variables) : {};
}

/** Whether @skip(if: true) or @include(if: false) leaves the field out. */
function skipped(node: FieldNode, variables: Record<string, unknown>): boolean {
  for (const directive of node.directives ?? []) {
    const condition = directive.arguments?.find((arg) => arg.name.value === "if")?.value;
    const value = condition?.kind === Kind.BOOLEAN ? condition.value : condition?.kind === Kind.VARIABLE ? variables[condition.name.value] === true : undefined;
    if (directive.name.value === "skip" && value === true) return true;
    if (directive.name.value === "include" && value === false) return true;
  }
  return false;
}

const nodeTypesBySchema = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
function nodeTypeNames(schema: GraphQLSchema): ReadonlySet<string> {
  let names = nodeTypesBySchema.get(schema);
  if (!names) {
    const node = schema.getType("Node");
    names = new Set(isInterfaceType(node) ? schema.getImplementations(node).objects.map((type) => type.name) : []);
    nodeTypesBySchema.set(schema, names);
  }
  return names;
}

/** Whether a string is the canonical global id of a Node type (so targetIds hold ids, not arbitrary input). */
function isGlobalId(value: string, nodeTypes: ReadonlySet<string>): boolean {
  if (value.length > 200) return false;
  try {
    const { typename, id } = decodeGlobalID(value);
    return nodeTypes.has(typename) && id.length > 0 && encodeGlobalID(typename, id) === value;
  } catch {
    return false;
  }
}

function isExecutionResult(result: unknown): result is ExecutionResult {
  return typeof result === "object" && result !== null && !(Symbol.asyncIterator in result);
}

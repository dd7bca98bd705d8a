import type { Plugin } from "@envelop/core";
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableValues,
} from "graphql";
import { grants } from "../auth/scopes.ts";
import type { Logger } from "pino";
import type { Context } from "../context.ts";

/**
 * Compiled reads: the hot list queries answered without the executor.
 *
 * A query operation whose whole selection a compiler understands (today `phoneNumbers` with the
 * fields lists ask for: src/numbers/compiled-read.ts) is compiled once per parsed document into
 * one SQL statement and a serializer that writes the response JSON straight from its rows. Per
 * request that is: coerce the variables, check the caller's scopes, run one statement, write text.
 * The executor, the per-field resolvers and plugin wrappers, Prisma and a second serialization
 * are skipped; graphql-js still parses, validates and costs the operation first (the limits
 * plugin runs before), so every limit applies as before.
 *
 * Anything the compiled path does not answer exactly as the executor would goes to the executor:
 * a field it does not know, a directive, a missing scope (FORBIDDEN comes from the executor), an
 * argument the executor would refuse or check (a negative `first`, a malformed cursor or id,
 * strings the input-limits plugin checks), a WebSocket operation (graphql-ws serializes its own
 * results). test/compiled-reads.test.ts runs a corpus of operations both ways and compares the
 * responses byte for byte after parsing.
 */

/** One response key of a selection: the field it names and every node that asks for it (merged). */
export interface SelectedField {
  key: string;
  name: string;
  nodes: FieldNode[];
  def: GraphQLField<unknown, unknown>;
}

/** What compiling one operation collects: its fragments and the scopes the caller must hold. */
export class CompileScope {
  readonly scopes = new Set<string>();
  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  /**
   * Records the scope a type or field requires (`authScopes: { scope }`); false when it declares
   * an authorization this path cannot check the same way.
   */
  requires(owner: { extensions?: unknown }): boolean {
    const options = (owner.extensions as { pothosOptions?: { authScopes?: unknown } } | undefined)?.pothosOptions;
    const authScopes = options?.authScopes;
    if (authScopes === undefined) return true;
    if (typeof authScopes !== "object" || authScopes === null) return false;
    const keys = Object.keys(authScopes);
    const scope = (authScopes as { scope?: unknown }).scope;
    if (keys.length !== 1 || typeof scope !== "string") return false;
    this.scopes.add(scope);
    return true;
  }

  /**
   * The fields selected on `type` by these selection sets, through fragments, merged by response
   * key (validation guarantees merged fields agree); undefined on a directive or an unknown field.
   */
  fieldsOf(type: GraphQLObjectType, sets: readonly SelectionSetNode[]): SelectedField[] | undefined {
    const byKey = new Map<string, SelectedField>();
    // A fragment spread twice at one level adds nothing the first did not: each is visited once.
    const spread = new Set<string>();
    const visit = (set: SelectionSetNode): boolean => {
      for (const selection of set.selections) {
        if (selection.directives?.length) return false;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const existing = byKey.get(key);
          if (existing) {
            existing.nodes.push(selection);
            continue;
          }
          const name = selection.name.value;
          const def = name === "__typename" ? typenameField : type.getFields()[name];
          if (!def) return false;
          byKey.set(key, { key, name, nodes: [selection], def });
        } else {
          if (selection.kind === Kind.FRAGMENT_SPREAD) {
            if (spread.has(selection.name.value)) continue;
            spread.add(selection.name.value);
          }
          const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value);
          if (!fragment || fragment.directives?.length) return false;
          if (fragment.typeCondition && !this.#applies(fragment.typeCondition.name.value, type)) continue;
          if (!visit(fragment.selectionSet)) return false;
        }
      }
      return true;
    };
    for (const set of sets) if (!visit(set)) return undefined;
    return [...byKey.values()];
  }

  #applies(condition: string, type: GraphQLObjectType): boolean {
    if (condition === type.name) return true;
    const named = this.schema.getType(condition);
    return named !== undefined && isAbstractType(named) && this.schema.isSubType(named, type);
  }
}

const typenameField = { name: "__typename" } as GraphQLField<unknown, unknown>;

/** The selection sets of a merged field's nodes. */
export const subSelections = (field: SelectedField): SelectionSetNode[] => field.nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));

/** Writes one value as JSON text. */
export type Writer<T = unknown> = (value: T) => string;

/** `"key":value,...` as an object, from one writer per field. */
export function objectWriter<T>(entries: ReadonlyArray<readonly [key: string, write: Writer<T>]>): Writer<T> {
  const prefixes = entries.map(([key], i) => `${i ? "," : ""}${JSON.stringify(key)}:`);
  const writers = entries.map(([, write]) => write);
  return (value) => {
    let text = "{";
    for (let i = 0; i < writers.length; i++) text += prefixes[i]! + writers[i]!(value);
    return `${text}}`;
  };
}

/**
 * The writer of an object field's selection: `__typename` is written here, every other selected
 * field by `write` (undefined: not compilable, and neither is the object). The field's type must be
 * an object type (named `typename` when given) whose scopes, and its fields', are recorded.
 */
export function compileObject<T>(scope: CompileScope, field: SelectedField, write: (selected: SelectedField) => Writer<T> | undefined, typename?: string): Writer<T> | undefined {
  const type = getNamedType(field.def.type);
  if (!isObjectType(type) || (typename !== undefined && type.name !== typename) || !scope.requires(type)) return undefined;
  const fields = scope.fieldsOf(type, subSelections(field));
  if (!fields) return undefined;
  const entries: Array<readonly [string, Writer<T>]> = [];
  for (const selected of fields) {
    const written = selected.name === "__typename" ? () => JSON.stringify(type.name) : scope.requires(selected.def) ? write(selected) : undefined;
    if (!written) return undefined;
    entries.push([selected.key, written]);
  }
  return objectWriter(entries);
}

/** PostgreSQL's text of a `timestamp(3)` (UTC, as Prisma stores DateTime) as the DateTime scalar writes it. */
export function isoFromTimestamp(text: string): string {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return new Date(`${text}Z`).toISOString();
  return `${match[1]}T${match[2]}.${((match[3] ?? "") + "000").slice(0, 3)}Z`;
}

const dateJson = (value: unknown) => `"${value instanceof Date ? value.toISOString() : isoFromTimestamp(value as string)}"`;

/**
 * A writer for a value whose GraphQL fields are plain properties (exposed fields: Pothos's
 * `t.expose*`), down to scalars and enums whose values are their names; undefined for anything
 * else. Used for values computed in the server, such as a number's setup status.
 */
export function plainWriter(scope: CompileScope, type: GraphQLOutputType, sets: readonly SelectionSetNode[]): Writer | undefined {
  const nullable = !isNonNullType(type);
  const inner = getNullableType(type);
  let write: Writer | undefined;
  if (isListType(inner)) {
    const item = plainWriter(scope, inner.ofType, sets);
    if (item) {
      write = (value) => {
        const list = value as unknown[];
        let text = "[";
        for (let i = 0; i < list.length; i++) text += (i ? "," : "") + item(list[i]);
        return `${text}]`;
      };
    }
  } else if (isScalarType(inner) || isEnumType(inner)) {
    write = leafWriter(inner);
  } else if (isObjectType(inner)) {
    if (!scope.requires(inner)) return undefined;
    const fields = scope.fieldsOf(inner, sets);
    if (!fields) return undefined;
    const entries: Array<readonly [string, Writer]> = [];
    for (const field of fields) {
      if (field.name === "__typename") {
        entries.push([field.key, () => JSON.stringify(inner.name)]);
        continue;
      }
      const property = exposedProperty(field);
      if (!property || !scope.requires(field.def) || field.def.args.length) return undefined;
      const value = plainWriter(scope, field.def.type, subSelections(field));
      if (!value) return undefined;
      entries.push([field.key, (parent) => value((parent as Record<string, unknown>)[property])]);
    }
    write = objectWriter(entries);
  }
  if (!write) return undefined;
  const defined = write;
  return nullable ? (value) => (value == null ? "null" : defined(value)) : defined;
}

/** The property an exposed field reads (`t.expose("x")`), or undefined for a field with a resolver of its own. */
export function exposedProperty(field: SelectedField): string | undefined {
  const exposed = (field.def.extensions as { pothosExposedField?: unknown } | undefined)?.pothosExposedField;
  return typeof exposed === "string" ? exposed : undefined;
}

/** Writers of the scalars and enums compiled reads serialize (values as the executor would serialize them). */
export function leafWriter(type: GraphQLOutputType): Writer | undefined {
  const inner = getNullableType(type);
  if (isEnumType(inner)) {
    // Only enums whose internal values are their names (every enum of this schema); each value's JSON written once.
    const values = inner.getValues();
    if (!values.every((value) => value.value === value.name)) return undefined;
    const json = new Map(values.map((value) => [value.name, JSON.stringify(value.name)]));
    return (value) => json.get(value as string) ?? JSON.stringify(value);
  }
  if (!isScalarType(inner)) return undefined;
  switch (inner.name) {
    case "String":
    case "ID":
      return (value) => JSON.stringify(value);
    case "Boolean":
      return (value) => (value ? "true" : "false");
    case "Int":
      return (value) => String(value);
    case "DateTime":
      return dateJson;
    case "JSON":
      return (value) => JSON.stringify(value ?? null);
    default:
      return undefined;
  }
}

/**
 * No string the input-limits plugin (src/schema/input-limits-plugin.ts) would refuse: nothing
 * longer than the smallest maximum, no NUL, no lone surrogate. Arguments outside this go to the
 * executor, which refuses them with the plugin's error.
 */
export function plainArguments(value: unknown): boolean {
  if (typeof value === "string") return value.length <= 200 && !UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.length <= 50 && value.every(plainArguments);
  if (value !== null && typeof value === "object" && !(value instanceof Date)) return Object.values(value).every(plainArguments);
  return true;
}
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The arguments of a field node under the operation's variables, or undefined when they do not coerce. */
export function argumentsOf(field: SelectedField, variables: VariableValues | undefined): Record<string, unknown> | undefined {
  try {
    return getArgumentValues(field.def, field.nodes[0]!, variables) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A root field answered by a compiled read: its JSON text, or undefined to let the executor answer. */
export type CompiledRootField = (context: Context, variables: VariableValues | undefined) => Promise<string | undefined>;

/** Compiles one root query field, or returns undefined when it is not one the compiler answers. */
export type RootFieldCompiler = (scope: CompileScope, field: SelectedField) => CompiledRootField | undefined;

interface CompiledOperation {
  operation: OperationDefinitionNode;
  scopes: readonly string[];
  fields: ReadonlyArray<readonly [key: string, run: CompiledRootField | "typename"]>;
}

/** The pre-serialized response of a compiled read, which the limits plugin writes as it is. */
const PRE_SERIALIZED = Symbol("pre-serialized response");

export function preSerialized(result: unknown): string | undefined {
  return (result as { [PRE_SERIALIZED]?: string } | null)?.[PRE_SERIALIZED];
}

function preSerializedResult(text: string): ExecutionResult {
  let data: ExecutionResult["data"];
  return {
    // Parsed only if some plugin reads it; the response is written from the text.
    get data() {
      return (data ??= (JSON.parse(text) as ExecutionResult).data);
    },
    [PRE_SERIALIZED]: text,
  } as ExecutionResult;
}

/**
 * The envelop plugin. Registered before the limits plugin, so the limits refuse or charge an
 * operation before anything runs, and the query deadline wraps the compiled read too.
 */
export function useCompiledReads(options: { enabled: boolean; compilers: Readonly<Record<string, RootFieldCompiler>>; logger?: Pick<Logger, "warn"> }): Plugin {
  const compiled = new WeakMap<DocumentNode, Map<string | undefined, CompiledOperation | null>>();

  const compile = (schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): CompiledOperation | null => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let entry = byName.get(operationName);
    if (entry === undefined) {
      try {
        entry = compileOperation(schema, document, operationName, options.compilers);
      } catch (error) {
        // A compiler's broken invariant: the executor answers this document from now on.
        options.logger?.warn({ err: error }, "compiling a read failed; the executor answers it");
        entry = null;
      }
      byName.set(operationName, entry);
    }
    return entry;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!options.enabled) return;
      const context = args.contextValue as Context & { extra?: unknown };
      // graphql-ws serializes results itself: WebSocket operations take the executor.
      if (context.extra) return;
      setExecuteFn(async (executionArgs) => {
        // Compiled when it runs: after the limits plugin has measured (and maybe refused) the operation.
        const plan = compile(executionArgs.schema, executionArgs.document, executionArgs.operationName ?? undefined);
        if (!plan) return executeFn(executionArgs);
        const text = await runCompiled(plan, executionArgs.schema, executionArgs.contextValue as Context, executionArgs.variableValues ?? {}).catch((error: unknown) => {
          (executionArgs.contextValue as Context).logger.warn({ err: error }, "compiled read failed; the executor answers");
          return undefined;
        });
        return text === undefined ? executeFn(executionArgs) : preSerializedResult(text);
      });
    },
  };
}

function compileOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  compilers: Readonly<Record<string, RootFieldCompiler>>,
): CompiledOperation | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
  const queryType = schema.getQueryType();
  if (!operation || operation.operation !== "query" || operation.directives?.length || !queryType) return null;
  if (operation.variableDefinitions?.some((v) => v.directives?.length)) return null;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const scope = new CompileScope(schema, fragments);
  const fields = scope.fieldsOf(queryType, [operation.selectionSet]);
  if (!fields || !fields.some((f) => f.name !== "__typename")) return null;
  const compiledFields: Array<readonly [string, CompiledRootField | "typename"]> = [];
  for (const field of fields) {
    if (field.name === "__typename") {
      compiledFields.push([field.key, "typename"]);
      continue;
    }
    const compiler = compilers[field.name];
    const run = compiler && scope.requires(field.def) ? compiler(scope, field) : undefined;
    if (!run) return null;
    compiledFields.push([field.key, run]);
  }
  return { operation, scopes: [...scope.scopes], fields: compiledFields };
}

async function runCompiled(plan: CompiledOperation, schema: GraphQLSchema, context: Context, rawVariables: Record<string, unknown>): Promise<string | undefined> {
  // A missing scope is the executor's FORBIDDEN error.
  if (!plan.scopes.every((scope) => grants(context.caller.scopes, scope))) return undefined;
  let variables: VariableValues | undefined;
  if (plan.operation.variableDefinitions?.length) {
    const coerced = getVariableValues(schema, plan.operation.variableDefinitions, rawVariables, { maxErrors: 1 });
    if (!("variableValues" in coerced)) return undefined;
    variables = coerced.variableValues;
  }
  let text = '{"data":{';
  for (let i = 0; i < plan.fields.length; i++) {
    const [key, run] = plan.fields[i]!;
    const value = run === "typename" ? '"Query"' : await run(context, variables);
    if (value === undefined) return undefined;
    text += `${i ? "," : ""}${JSON.stringify(key)}:${value}`;
  }
  return `${text}}}`;
}

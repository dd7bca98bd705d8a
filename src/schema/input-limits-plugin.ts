import SchemaBuilder, {
  BasePlugin,
  mapInputFields,
  PothosSchemaError,
  unwrapInputFieldType,
  type FieldRequiredness,
  type InputFieldMapping,
  type InputFieldsMapping,
  type InputType,
  type InputTypeFieldsMapping,
  type PothosInputFieldConfig,
  type PothosOutputFieldConfig,
  type SchemaTypes,
} from "@pothos/core";
import { GraphQLError, type GraphQLFieldResolver } from "graphql";
import { ValidationError, type FieldError } from "../domain/errors.ts";
import { isUuid } from "../domain/global-id.ts";
import { MAX_PAGE_SIZE } from "../limits/cost.ts";

/**
 * Input hygiene for every field, in one place: before a resolver runs, its arguments are checked
 * for text PostgreSQL cannot store (NUL, lone UTF-16 surrogates: in text columns and in jsonb)
 * and for strings longer than their maximum. Without it such input reached the database and the
 * client got a masked "Unexpected error." instead of a field error.
 *
 * Every String and ID input field and argument has a maximum: its `maxLength` option, or the
 * default of its type. The maximum is appended to its description, so the schema documents it.
 * Strings anywhere inside a JSON value are checked for characters (the JSON's size is the
 * service's to bound).
 *
 * A field whose `errors` include ValidationError (every mutation) gets one ValidationError with
 * every problem; other fields (queries, subscriptions, nested fields) a BAD_USER_INPUT error
 * carrying the same `fieldErrors`.
 */

/** Maximum length of String and ID inputs (and of each item of a list) that declare no `maxLength`. */
export const DEFAULT_MAX_LENGTH = { String: 1_000, ID: 200 } as const;

/** Scalars whose values are free-form JSON: every string and key inside is checked for characters. */
const JSON_SCALARS = new Set(["JSON"]);

type Rule = { kind: "text"; maxLength: number } | { kind: "json" };
type Problems = FieldError[];

const pluginName = "inputLimits";

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputLimits: InputLimitsPlugin<Types>;
    }
    export interface InputFieldOptions<
      Types extends SchemaTypes = SchemaTypes,
      Type extends InputType<Types> | [InputType<Types>] = InputType<Types> | [InputType<Types>],
      Req extends FieldRequiredness<Type> = FieldRequiredness<Type>,
    > {
      /**
       * Longest accepted value of a String or ID input (of each item, for a list), in UTF-16 code
       * units like String.length; the default of its type otherwise. Documented in the schema.
       */
      maxLength?: number;
    }
  }
}

export class InputLimitsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  // Which fields of each input type carry strings, shared by every field that takes the type.
  readonly #typeMappings = new Map<string, InputTypeFieldsMapping<Types, Rule>>();

  override onInputFieldConfig(fieldConfig: PothosInputFieldConfig<Types>): PothosInputFieldConfig<Types> {
    const rule = this.#ruleFor(fieldConfig);
    if (rule?.kind !== "text") return fieldConfig;
    const limit = `At most ${rule.maxLength} characters${fieldConfig.type.kind === "List" ? " each" : ""}.`;
    return { ...fieldConfig, description: fieldConfig.description ? `${fieldConfig.description} ${limit}` : limit };
  }

  // plugin-prisma plans a relation field's query from its arguments while resolving the parent,
  // before the field's own resolver runs: the same check guards that planning.
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const select: unknown = fieldConfig.extensions?.pothosPrismaSelect;
    if (typeof select !== "function") return fieldConfig;
    const check = this.#checkFor(fieldConfig, `${this.buildCache.getTypeConfig(fieldConfig.parentType).name}.${fieldConfig.name}`);
    if (!check) return fieldConfig;
    return {
      ...fieldConfig,
      extensions: {
        ...fieldConfig.extensions,
        pothosPrismaSelect: (args: Record<string, unknown>, ...rest: unknown[]) => {
          check(args);
          return select(args, ...rest);
        },
      },
    };
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    // A subscription's arguments are checked once, when it starts (wrapSubscribe).
    if (fieldConfig.kind === "Subscription") return resolver;
    const check = this.#checkFor(fieldConfig);
    if (!check) return resolver;
    return (parent, args, context, info) => {
      check(args as Record<string, unknown>);
      return resolver(parent, args, context, info);
    };
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types["Context"], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> | undefined {
    const check = subscribe && this.#checkFor(fieldConfig);
    if (!subscribe || !check) return subscribe;
    return (parent, args, context, info) => {
      check(args as Record<string, unknown>);
      return subscribe(parent, args, context, info);
    };
  }

  /** The rule of one input field or argument: its maximum if it is String or ID, "json" for JSON, else null. */
  #ruleFor(config: PothosInputFieldConfig<Types>): Rule | null {
    const { maxLength } = config.pothosOptions as { maxLength?: number };
    const type = this.buildCache.getTypeConfig(unwrapInputFieldType(config.type));
    const where = `${config.parentType}.${config.parentField ? `${config.parentField}(${config.name})` : config.name}`;
    if (type.kind === "Scalar" && (type.name === "String" || type.name === "ID")) {
      if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 0)) {
        throw new PothosSchemaError(`${where}: maxLength must be a positive integer`);
      }
      return { kind: "text", maxLength: maxLength ?? DEFAULT_MAX_LENGTH[type.name] };
    }
    if (maxLength !== undefined) throw new PothosSchemaError(`${where}: maxLength applies only to String and ID inputs`);
    return type.kind === "Scalar" && JSON_SCALARS.has(type.name) ? { kind: "json" } : null;
  }

  /**
   * The check of a field's arguments, planned once at build time (only the arguments that can
   * carry strings are walked), or null when none can. It throws the field's kind of error.
   */
  #checkFor(fieldConfig: PothosOutputFieldConfig<Types>, nestedIn?: string): ((args: Record<string, unknown>) => void) | null {
    const plan = mapInputFields(fieldConfig.args, this.buildCache, (config) => this.#ruleFor(config), this.#typeMappings);
    const connection = this.#isConnection(fieldConfig);
    if (!plan && !connection) return null;
    const refuse = nestedIn === undefined && expectsValidationError(fieldConfig) ? refuseAsValidationError : refuseAsBadUserInput(nestedIn);
    return (args) => {
      const problems = plan ? problemsIn(args, plan) : [];
      if (connection) problems.push(...cursorProblems(args), ...pageSizeProblems(args));
      if (problems.length > 0) refuse(problems);
    };
  }

  /** A cursor connection (its type is a *Connection and it takes `after`/`before`). */
  #isConnection(fieldConfig: PothosOutputFieldConfig<Types>): boolean {
    if (fieldConfig.type.kind !== "Object" || !("after" in fieldConfig.args) || !("before" in fieldConfig.args)) return false;
    return this.buildCache.getTypeConfig(fieldConfig.type.ref).name.endsWith("Connection");
  }
}

SchemaBuilder.registerPlugin(pluginName, InputLimitsPlugin);

export default pluginName;

/** Whether the field's plugin-errors union has ValidationError (every mutation): then problems are returned in it. */
function expectsValidationError<Types extends SchemaTypes>(fieldConfig: PothosOutputFieldConfig<Types>): boolean {
  const types = (fieldConfig.pothosOptions as { errors?: { types?: readonly unknown[] } }).errors?.types ?? [];
  return types.some((type) => type === ValidationError || (typeof type === "function" && type.prototype instanceof ValidationError));
}

function refuseAsValidationError(problems: Problems): never {
  throw new ValidationError(problems);
}

function refuseAsBadUserInput(nestedIn: string | undefined) {
  return (problems: Problems): never => {
    const message = new ValidationError(problems).message;
    // A page size out of range also says the largest page, so a client can adjust without parsing text.
    const pageSize = problems.some((problem) => problem.code === "OUT_OF_RANGE" && (problem.path[0] === "first" || problem.path[0] === "last"));
    throw new GraphQLError(nestedIn ? `${nestedIn}: ${message}` : message, {
      extensions: { code: "BAD_USER_INPUT", fieldErrors: problems, ...(pageSize ? { maximum: MAX_PAGE_SIZE } : {}) },
    });
  };
}

// ---- Cursors ---------------------------------------------------------------------------------------


/**
 * Every connection pages by id: its cursors are plugin-prisma's `GPC:S:<uuid>` in base64. Anything
 * else (a forged cursor of another shape, a non-uuid, a NUL) would reach the database as a
 * malformed value; it is the client's mistake, reported with the argument's path.
 */
function cursorProblems(args: Record<string, unknown>): Problems {
  const problems: Problems = [];
  for (const name of ["after", "before"] as const) {
    const cursor = args[name];
    if (cursor == null) continue;
    const decoded = typeof cursor === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(cursor) ? Buffer.from(cursor, "base64").toString("utf8") : "";
    if (!decoded.startsWith("GPC:S:") || !isUuid(decoded.slice("GPC:S:".length))) {
      problems.push({ path: [name], code: "INVALID_FORMAT", message: "Not a cursor of this list (use a cursor or endCursor it returned)" });
    }
  }
  if (args.after != null && args.before != null) {
    problems.push({ path: ["before"], code: "INVALID_VALUE", message: "Give after or before, not both" });
  }
  return problems;
}

/**
 * Page sizes: a connection returns at most MAX_PAGE_SIZE items per page. A larger `first` or `last`
 * is refused rather than silently cut, so a client that asked for 10,000 rows does not take 100
 * for the whole list; `first` and `last` together have no clear meaning and are refused too.
 */
function pageSizeProblems(args: Record<string, unknown>): Problems {
  const problems: Problems = [];
  for (const name of ["first", "last"] as const) {
    const size = args[name];
    if (typeof size !== "number") continue;
    if (size < 0) problems.push({ path: [name], code: "OUT_OF_RANGE", message: `Must be between 0 and ${MAX_PAGE_SIZE}` });
    else if (size > MAX_PAGE_SIZE) {
      problems.push({ path: [name], code: "OUT_OF_RANGE", message: `At most ${MAX_PAGE_SIZE} per page; page on with after: pageInfo.endCursor` });
    }
  }
  if (args.first != null && args.last != null) problems.push({ path: ["last"], code: "INVALID_VALUE", message: "Give first or last, not both" });
  return problems;
}

// ---- The walk ------------------------------------------------------------------------------------

/** Every problem in a field's arguments, with paths starting at the argument name (["input", "label"]). */
function problemsIn<Types extends SchemaTypes>(args: Record<string, unknown>, plan: InputFieldsMapping<Types, Rule>): Problems {
  const problems: Problems = [];
  walkFields(args, plan, [], problems);
  return problems;
}

function walkFields<Types extends SchemaTypes>(value: Record<string, unknown>, fields: InputFieldsMapping<Types, Rule>, path: string[], problems: Problems): void {
  for (const [name, mapping] of fields) {
    const fieldValue = value[name];
    if (fieldValue == null) continue;
    path.push(name);
    walkValue(fieldValue, mapping, mapping.listDepth, path, problems);
    path.pop();
  }
}

function walkValue<Types extends SchemaTypes>(value: unknown, mapping: InputFieldMapping<Types, Rule>, listDepth: number, path: string[], problems: Problems): void {
  if (listDepth > 0) {
    if (!Array.isArray(value)) return;
    for (let index = 0; index < value.length; index++) {
      if (value[index] == null) continue;
      path.push(String(index));
      walkValue(value[index], mapping, listDepth - 1, path, problems);
      path.pop();
    }
    return;
  }
  if (mapping.kind === "InputObject") {
    if (mapping.fields.map) walkFields(value as Record<string, unknown>, mapping.fields.map, path, problems);
    return;
  }
  if (mapping.value.kind === "json") {
    checkJson(value, path, problems);
  } else if (typeof value === "string") {
    if (value.length > mapping.value.maxLength) {
      problems.push({ path: [...path], code: "TOO_LONG", message: `At most ${mapping.value.maxLength} characters` });
    }
    const invalid = invalidCharacters(value);
    if (invalid) problems.push({ path: [...path], code: "INVALID_CHARACTERS", message: invalid });
  }
}

// Any NUL or surrogate at all: rare, so the exact check below seldom runs.
const SUSPECT = /[\0\ud800-\udfff]/;
// With the u flag a surrogate pair is one code point, so only unpaired surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why PostgreSQL could not store the text, or null when it can. */
function invalidCharacters(text: string): string | null {
  if (!SUSPECT.test(text)) return null;
  const nul = text.includes("\0");
  const lone = LONE_SURROGATE.test(text);
  if (nul && lone) return "Contains a NUL character (U+0000) and an unpaired UTF-16 surrogate; neither can be stored";
  if (nul) return "Contains a NUL character (U+0000), which cannot be stored";
  if (lone) return "Contains an unpaired UTF-16 surrogate (not valid Unicode), which cannot be stored";
  return null;
}

interface JsonNode {
  value: unknown;
  key: string;
  parent: JsonNode | undefined;
  depth: number;
}

/**
 * Deepest nesting of arrays and objects accepted in a JSON input. PostgreSQL's jsonb and the JSON
 * handling on the way there recurse once per level (thousands of levels overflow them).
 */
export const MAX_JSON_DEPTH = 32;

/** Checks every string and key inside a JSON value, without recursion (nesting depth is the client's). */
function checkJson(root: unknown, path: string[], problems: Problems): void {
  const pathOf = (node: JsonNode | undefined, key?: string) => {
    const keys = key === undefined ? [] : [key];
    for (let at = node; at?.parent; at = at.parent) keys.push(at.key);
    return [...path, ...keys.reverse()];
  };
  const pending: JsonNode[] = [{ value: root, key: "", parent: undefined, depth: 0 }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const { value } = node;
    if (node.depth > MAX_JSON_DEPTH && value !== null && typeof value === "object") {
      problems.push({ path: pathOf(node), code: "INVALID_VALUE", message: `Nested more than ${MAX_JSON_DEPTH} levels deep` });
      return;
    }
    if (typeof value === "string") {
      const invalid = invalidCharacters(value);
      if (invalid) problems.push({ path: pathOf(node), code: "INVALID_CHARACTERS", message: invalid });
    } else if (Array.isArray(value)) {
      // Pushed in reverse, so problems are reported in document order.
      for (let index = value.length - 1; index >= 0; index--) pending.push({ value: value[index], key: String(index), parent: node, depth: node.depth + 1 });
    } else if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      for (const key of keys) {
        const invalid = invalidCharacters(key);
        if (invalid) problems.push({ path: pathOf(node, key), code: "INVALID_CHARACTERS", message: `A key ${invalid.charAt(0).toLowerCase()}${invalid.slice(1)}` });
      }
      for (let index = keys.length - 1; index >= 0; index--) {
        pending.push({ value: (value as Record<string, unknown>)[keys[index]!], key: keys[index]!, parent: node, depth: node.depth + 1 });
      }
    }
  }
}

import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { SCOPES } from "../../src/auth/scopes.ts";
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "graphql";

// A schema-driven fuzzer for the API (issue 9). Every operation is generated from (seed, index)
// alone, so one failing operation is reproduced with FUZZ_SEED and FUZZ_ONLY; the ids it picks come
// from the pools the run has filled so far (the objects the setup and earlier accepted mutations
// created, the other organization's objects, and forged ones).

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

/** mulberry32: small, fast and good enough to pick test inputs. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(entries: ReadonlyArray<readonly [number, T]>): T {
    const total = entries.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, value] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return entries[entries.length - 1]![1];
  }
  hex(length: number): string {
    let out = "";
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[this.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  digits(length: number): string {
    let out = "";
    while (out.length < length) out += String(this.int(0, 9));
    return out;
  }
}

/** The generator of operation `index` of run `seed`: independent of every other operation. */
export function rngFor(seed: number, index: number): Rng {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return new Rng(h ^ (h >>> 16));
}

// ---------------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------------

export const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
export const globalId = (typename: string, id: string) => b64(`${typename}:${id}`);

/** Strings that have broken parsers, databases and loggers before. */
const ODD_STRINGS: readonly string[] = [
  "",
  " ",
  "\t\n\r",
  "\u0000",
  "a\u0000b",
  "\u0000".repeat(64),
  "\ud800",
  "x\udfffy",
  "\udc00\ud800",
  "\ud83d",
  "\u202egnp.exe",
  "مرحبا بالعالم",
  "שלום",
  "👩‍👩‍👧‍👦🏳️‍🌈🇺🇸",
  "\u200b\u200c\u200d\ufeff",
  "Z̴̧̛̖̈́ă̷̢̛l̸̨̈g̵̡̛o̵̢̍",
  "\u{10ffff}\uffff\ufffe",
  "' OR 1=1 --",
  `'; DROP TABLE "Agent"; --`,
  "%",
  "_",
  "\\",
  "%_\\%",
  "$1",
  '{"a":1}',
  "[",
  '"]}',
  '"',
  "\\u0000",
  "null",
  "undefined",
  "NaN",
  "-Infinity",
  "-0",
  "1e309",
  "${7*7}{{7*7}}",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "%00%ff%c0%80",
  "line\r\nX-Injected: 1",
  "__proto__",
  "constructor",
  "true",
  "0x7fffffff",
  "١٢٣٤٥",
  "ＡＢＣ１２３",
  "İıſK",
];

export function oddString(rng: Rng): string {
  return rng.weighted<() => string>([
    [10, () => rng.pick(ODD_STRINGS)],
    [3, () => rng.pick(ODD_STRINGS) + rng.pick(ODD_STRINGS) + rng.pick(ODD_STRINGS)],
    [2, () => "a".repeat(rng.pick([101, 129, 161, 201, 321, 1001, 1601, 4097]))],
    [2, () => rng.pick(["x", "é", "😀", "\u0000", "%"]).repeat(rng.int(1_000, 20_000))],
    [1, () => "A".repeat(rng.int(60_000, 100_000))],
    [1, () => Array.from({ length: rng.int(1, 40) }, () => String.fromCharCode(rng.int(0, 0xffff))).join("")],
  ])();
}

/** Dates a DateTime scalar may accept that a database or a date library may not. */
const EXTREME_DATES: readonly string[] = [
  "9999-12-31T23:59:59.999Z",
  "0001-01-01T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "1970-01-01T00:00:00Z",
  "1969-12-31T23:59:59.999Z",
  "2038-01-19T03:14:08Z",
  "2016-12-31T23:59:60Z",
  "2024-02-29T00:00:00+14:00",
  "2024-01-01T00:00:00.123456789Z",
];

/** Dates no DateTime scalar should accept. */
const MALFORMED_DATES: readonly string[] = [
  "+275760-09-13T00:00:00.000Z",
  "-271821-04-20T00:00:00.000Z",
  "+100000-01-01T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "2024-13-01T00:00:00Z",
  "2024-02-30T00:00:00Z",
  "2024-01-01",
  "2024-01-01T00:00:00+25:00",
  "now",
  "",
  "T",
];

function isoOffset(rng: Rng, days: number): string {
  // A fixed epoch, not Date.now(): the same seed makes the same dates.
  return new Date(Date.UTC(2030, 0, 1) + days * 86_400_000 + rng.int(0, 86_399) * 1000).toISOString();
}

/** Deep, wide or odd JSON for JSON scalars. */
function oddJson(rng: Rng): unknown {
  return rng.weighted<() => unknown>([
    [3, () => ({ greeting: "hi", n: rng.int(0, 100), nested: { ok: true, list: [1, "two", null] } })],
    [2, () => {
      const deep = new DeepJson(rng.pick([50, 500, 2_000, 8_000]), rng.chance(0.5));
      return rng.chance(0.5) ? { deep } : deep;
    }],
    [2, () => ({ [rng.pick(ODD_STRINGS)]: rng.pick(ODD_STRINGS), text: oddString(rng) })],
    [1, () => ({ nul: "a\u0000b" })],
    [1, () => ({ "\u0000key": 1 })],
    [1, () => ({ lone: "\ud800" })],
    [1, () => ({ big: 1e308, small: -1e-308, negZero: -0, int: 2 ** 63 })],
    [1, () => Object.fromEntries(Array.from({ length: rng.pick([100, 2_000]) }, (_, i) => [`k${i}`, i]))],
    [1, () => Array.from({ length: rng.pick([10, 5_000]) }, (_, i) => i)],
    [1, () => rng.pick(["a string", 42, true, null, [], "{}"])],
    [1, () => ({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } })],
    [1, () => ({ padding: "x".repeat(rng.pick([16_000, 16_384, 17_000, 100_000])) })],
  ])();
}

/**
 * JSON nested thousands of levels deep. Built as text (JSON.stringify and the GraphQL printer
 * recurse and would overflow the test's own stack); a marker stands in for it until the request
 * body is serialized.
 */
export class DeepJson {
  static readonly byMarker = new Map<string, DeepJson>();
  readonly marker = `@@deep-json-${DeepJson.byMarker.size}@@`;
  constructor(
    readonly depth: number,
    readonly arrays: boolean,
  ) {
    DeepJson.byMarker.set(this.marker, this);
  }
  toJSON() {
    return this.marker;
  }
  text(literal: boolean): string {
    const open = this.arrays ? "[" : literal ? "{a: " : '{"a":';
    return `${open.repeat(this.depth)}1${(this.arrays ? "]" : "}").repeat(this.depth)}`;
  }
}

/** JSON.stringify, with every DeepJson inside written out in full. */
export function serialize(value: unknown): string {
  return JSON.stringify(value).replace(/"(@@deep-json-\d+@@)"/g, (marker, key: string) => DeepJson.byMarker.get(key)?.text(false) ?? marker);
}

/** A JS value that is written as an enum literal in a document (and a string in variables). */
class EnumValue {
  constructor(readonly name: string) {}
  toJSON() {
    return this.name;
  }
}

/** Prints a generated value as a GraphQL literal (may be syntactically hostile on purpose). */
export function toLiteral(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof EnumValue) return value.name;
  if (value instanceof DeepJson) return value.text(true);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : String(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(toLiteral).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(key) ? key : JSON.stringify(key)}: ${toLiteral(item)}`)
      .join(", ")}}`;
  }
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// The world the generator draws from
// ---------------------------------------------------------------------------------------------

export const NODE_TYPES = ["Agent", "PhoneNumber", "ApiKey", "Verification", "Message"] as const;

/** What the generator can refer to: filled by the setup, and by accepted mutations as the run goes. */
export interface FuzzWorld {
  /** Global ids of the fuzzed organization's objects, by type (never the keys the fuzzer uses). */
  own: Record<string, string[]>;
  /** Global ids of the other organization's objects, by type. */
  other: Record<string, string[]>;
  otherOrganizationId: string;
  ownE164: string[];
  otherE164: string[];
  /** Real cursors of the other organization's lists. */
  otherCursors: string[];
  credentials: {
    /** All scopes, LIVE: most operations. */
    main: string;
    /** numbers:read agents:read only. */
    readOnly: string;
    /** All scopes, TEST mode. */
    test: string;
    /** A JWT for the fuzzed organization with all scopes. */
    jwt: string;
    /** Tokens the server must refuse with 401 (bad signature, unknown organization, expired, ...). */
    badJwts: string[];
  };
}

/** One request the fuzzer sends. */
export interface FuzzCase {
  index: number;
  /** What was generated, for the report: "mutation createAgent [hostile]". */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Server-Sent Events: read the first event, then hang up. */
  stream?: boolean;
  /** Root mutation fields of the document (whose Success payloads are collected). */
  mutationFields: string[];
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

const ARG_TARGET: Array<[RegExp, string]> = [
  [/^agentId$/, "Agent"],
  [/^phoneNumberId$/, "PhoneNumber"],
];
const INPUT_TARGET: Array<[RegExp, string]> = [
  [/Agent/, "Agent"],
  [/ApiKey/, "ApiKey"],
  [/Verification/, "Verification"],
  [/PhoneNumber|Forwarding/, "PhoneNumber"],
  [/Message/, "Message"],
];

// Every scope, `*`, and one the server does not know yet (webhooks:admin, a planned scope).
const SCOPE_NAMES = [...SCOPES, "webhooks:admin", "*"];

interface ValueContext {
  /** Field or argument name. */
  name: string;
  /** The input type or field holding it ("CreateAgentInput", "Query.node"). */
  parent: string;
  /** Probability that a leaf is hostile. */
  hostility: number;
  depth: number;
}

export class OperationGenerator {
  readonly queryFields: GraphQLField<unknown, unknown>[];
  readonly mutationFields: GraphQLField<unknown, unknown>[];
  readonly subscriptionFields: GraphQLField<unknown, unknown>[];

  constructor(
    readonly schema: GraphQLSchema,
    readonly world: FuzzWorld,
    readonly seed: number,
  ) {
    this.queryFields = Object.values(schema.getQueryType()?.getFields() ?? {});
    this.mutationFields = Object.values(schema.getMutationType()?.getFields() ?? {});
    this.subscriptionFields = Object.values(schema.getSubscriptionType()?.getFields() ?? {});
  }

  generate(index: number): FuzzCase {
    const rng = rngFor(this.seed, index);
    const kind = rng.weighted<"query" | "mutation" | "subscription" | "document" | "raw">([
      [36, "query"],
      [46, "mutation"],
      [2, "subscription"],
      [7, "document"],
      [9, "raw"],
    ]);
    if (kind === "raw") return { index, ...this.rawCase(rng) };
    if (kind === "document") return { index, ...this.oddDocument(rng) };
    const hostility = rng.weighted([
      [3, 0.02],
      [4, 0.25],
      [3, 0.6],
    ]);
    const level = hostility < 0.1 ? "valid-ish" : hostility < 0.5 ? "mixed" : "hostile";
    const fields = kind === "query" ? this.queryFields : kind === "mutation" ? this.mutationFields : this.subscriptionFields;
    const count = kind === "subscription" ? 1 : rng.weighted([
      [12, 1],
      [2, 2],
      [1, 3],
    ]);
    const chosen = Array.from({ length: count }, () => rng.pick(fields));
    const op = this.operation(rng, kind, chosen, hostility);
    const { headers, credential } = this.credentials(rng, kind === "mutation");
    const transport = kind === "subscription" ? "sse" : rng.weighted([
      [92, "post"],
      [5, "get"],
      [3, "post-graphql-response"],
    ]);
    const label = `${kind} ${chosen.map((f) => f.name).join("+")} [${level}; ${credential}${transport === "post" ? "" : `; ${transport}`}]`;
    const mutationFields = kind === "mutation" ? chosen.map((f) => f.name) : [];
    if (transport === "get") {
      const params = new URLSearchParams({ query: op.document });
      if (op.variables) params.set("variables", serialize(op.variables));
      return { index, label, method: "GET", path: `/graphql?${params}`, headers, mutationFields };
    }
    const accept =
      transport === "sse" ? "text/event-stream" : transport === "post-graphql-response" ? "application/graphql-response+json" : "application/json";
    return {
      index,
      label,
      method: "POST",
      path: "/graphql",
      headers: { ...headers, "content-type": "application/json", accept },
      body: serialize({ query: op.document, variables: op.variables }),
      stream: transport === "sse",
      mutationFields,
    };
  }

  // ----- credentials -----

  private credentials(rng: Rng, mutation: boolean): { headers: Record<string, string>; credential: string } {
    const c = this.world.credentials;
    const choice = rng.weighted<string>([
      [80, "key"],
      [5, "bearer-key"],
      [4, "jwt"],
      [3, "test-key"],
      [mutation ? 1 : 4, "read-only-key"],
      [4, "bad-credentials"],
    ]);
    switch (choice) {
      case "key":
        return { headers: { "x-api-key": c.main }, credential: "key" };
      case "bearer-key":
        return { headers: { authorization: `Bearer ${c.main}` }, credential: "bearer key" };
      case "jwt":
        return { headers: { authorization: `Bearer ${c.jwt}` }, credential: "jwt" };
      case "test-key":
        return { headers: { "x-api-key": c.test }, credential: "test key" };
      case "read-only-key":
        return { headers: { "x-api-key": c.readOnly }, credential: "read-only key" };
      default:
        return { headers: this.badCredentials(rng), credential: "bad credentials" };
    }
  }

  private badCredentials(rng: Rng): Record<string, string> {
    const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");
    return rng.weighted<() => Record<string, string>>([
      [2, () => ({})],
      [2, () => ({ "x-api-key": `sb_live_${rng.hex(40)}` })],
      [1, () => ({ "x-api-key": `sb_test_${"A".repeat(rng.pick([0, 1, 39, 41, 4000]))}` })],
      [1, () => ({ "x-api-key": printable(oddString(rng)).slice(0, 6000) || "x" })],
      [1, () => ({ authorization: rng.pick(["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer ...", "bearer  x y", "Token abc"]) })],
      [2, () => ({ authorization: `Bearer ${rng.pick(this.world.credentials.badJwts)}` })],
      [1, () => ({ authorization: `Bearer ${b64(rng.pick(ODD_STRINGS)).replace(/=/g, "")}.${rng.hex(20)}.${rng.hex(20)}` })],
      [1, () => ({ "x-api-key": this.world.credentials.main, authorization: "Bearer garbage" })],
    ])();
  }

  // ----- documents -----

  private operation(
    rng: Rng,
    kind: "query" | "mutation" | "subscription",
    fields: GraphQLField<unknown, unknown>[],
    hostility: number,
  ): { document: string; variables?: Record<string, unknown> } {
    const definitions: string[] = [];
    const variables: Record<string, unknown> = {};
    const selections = fields.map((field, i) => {
      const args = this.arguments(rng, field, hostility, definitions, variables, `v${i}_`);
      const alias = fields.length > 1 ? `f${i}: ` : "";
      const selection = this.selection(rng, field.type, 0, kind === "mutation" ? "payload" : "sample");
      return `${alias}${field.name}${args}${selection ? ` ${selection}` : ""}`;
    });
    // Hostile variables the document does not declare, or a declared one missing.
    if (rng.chance(hostility * 0.1)) variables[`undeclared${rng.int(0, 9)}`] = oddString(rng);
    const header = definitions.length ? `(${definitions.join(", ")})` : "";
    const name = rng.chance(0.5) ? ` Fuzz${rng.int(0, 999)}` : header ? " " : "";
    const document = `${kind}${name}${header} { ${selections.join(" ")} }`;
    return { document, variables: Object.keys(variables).length || rng.chance(0.5) ? variables : undefined };
  }

  private arguments(
    rng: Rng,
    field: GraphQLField<unknown, unknown>,
    hostility: number,
    definitions: string[],
    variables: Record<string, unknown>,
    prefix: string,
  ): string {
    const parts: string[] = [];
    const given = new Set<string>();
    for (const arg of field.args) {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      if (!required && !rng.chance(0.55)) continue;
      // Pagination both ways at once is refused before anything runs: mostly left to hostile operations.
      const opposite = { before: "after", last: "first" }[arg.name];
      if (opposite && given.has(opposite) && !rng.chance(hostility)) continue;
      given.add(arg.name);
      if (required && rng.chance(hostility * 0.08)) continue; // a required argument left out
      const value = this.value(rng, arg.type, { name: arg.name, parent: `${field.name}`, hostility, depth: 0 });
      if (rng.chance(0.7)) {
        const variable = `${prefix}${arg.name}`;
        // Sometimes declared with another type than the argument's: a validation error, never a crash.
        const declared = rng.chance(hostility * 0.1) ? rng.pick(["String", "Int!", "[ID!]", "JSON", "Boolean", "NoSuchType"]) : String(arg.type);
        definitions.push(`$${variable}: ${declared}`);
        if (!rng.chance(hostility * 0.05)) variables[variable] = value === undefined ? null : value;
        parts.push(`${arg.name}: $${variable}`);
      } else {
        parts.push(`${arg.name}: ${toLiteral(value)}`);
      }
    }
    if (rng.chance(hostility * 0.05)) parts.push(`noSuchArgument: ${toLiteral(oddString(rng).slice(0, 50))}`);
    return parts.length ? `(${parts.join(", ")})` : "";
  }

  /**
   * A value for an input type; `hostility` is the chance that a value is hostile. Most hostile
   * values keep their GraphQL type (odd strings, forged ids, extreme but valid numbers and dates,
   * huge lists), so they reach the resolvers and services; a few break the type and must be
   * refused by validation.
   */
  value(rng: Rng, type: GraphQLInputType, ctx: ValueContext): unknown {
    const hostile = rng.chance(ctx.hostility);
    const wrongType = hostile && rng.chance(0.12);
    if (isNonNullType(type)) {
      if (wrongType && rng.chance(0.4)) return null;
      return this.valueOf(rng, type.ofType, ctx, hostile, wrongType);
    }
    return this.valueOf(rng, type, ctx, hostile, wrongType);
  }

  private valueOf(rng: Rng, type: GraphQLInputType, ctx: ValueContext, hostile: boolean, wrongType: boolean): unknown {
    if (wrongType && rng.chance(0.3)) return rng.pick<unknown>([0, "", true, {}, [], 1.5]);
    if (isListType(type)) {
      if (hostile && rng.chance(0.4)) {
        const length = rng.pick([51, 101, 1_000, 5_000]);
        const item = this.value(rng, type.ofType, { ...ctx, hostility: 0 });
        return Array.from({ length }, (_, i) => (i % 7 === 3 ? this.value(rng, type.ofType, { ...ctx, depth: ctx.depth + 1 }) : item));
      }
      if (wrongType) return [null];
      // A single item where a list is expected is valid GraphQL (coerced to a list of one).
      if (hostile && rng.chance(0.3)) return this.value(rng, type.ofType, { ...ctx, depth: ctx.depth + 1 });
      return Array.from({ length: rng.weighted([[2, 0], [6, 1], [3, 2], [1, 3]]) }, () => this.value(rng, type.ofType, { ...ctx, depth: ctx.depth + 1 }));
    }
    if (isInputObjectType(type)) {
      if (ctx.depth > 4) return null;
      const out: Record<string, unknown> = {};
      for (const field of Object.values(type.getFields())) {
        const required = isNonNullType(field.type) && field.defaultValue === undefined;
        if (!required && !rng.chance(hostile ? 0.8 : 0.5)) continue;
        if (required && wrongType && rng.chance(0.5)) continue;
        out[field.name] = this.value(rng, field.type, { name: field.name, parent: type.name, hostility: ctx.hostility, depth: ctx.depth + 1 });
      }
      if (wrongType) out[rng.pick(["bogus", "__proto__", "id", "organizationId"])] = rng.pick([1, "x", null, this.world.otherOrganizationId]);
      return out;
    }
    if (isEnumType(type)) {
      const values = type.getValues().map((v) => v.name);
      if (wrongType) return rng.pick([values[0]!.toLowerCase(), ` ${values[0]}`, "", "UNKNOWN_VALUE", 1, oddString(rng).slice(0, 200)]);
      return new EnumValue(rng.pick(values));
    }
    if (isScalarType(type)) return this.scalar(rng, type.name, ctx, hostile, wrongType);
    return null;
  }

  private scalar(rng: Rng, scalar: string, ctx: ValueContext, hostile: boolean, wrongType: boolean): unknown {
    switch (scalar) {
      case "ID":
        return wrongType ? rng.pick<unknown>([{}, true, 1.5, [[]]]) : this.id(rng, ctx, hostile);
      case "Int":
        if (wrongType) return rng.pick<unknown>([2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1.5, 1e308, "5", "NaN", "Infinity", true]);
        return hostile ? rng.pick([0, -1, 51, 101, 1_000, 10_000_001, 2 ** 31 - 1, -(2 ** 31)]) : this.validInt(rng, ctx.name);
      case "Float":
        return wrongType ? rng.pick<unknown>(["NaN", "1", true]) : hostile ? rng.pick([0, -0, 1e308, -1e308, 5e-324]) : rng.next() * 100;
      case "Boolean":
        return wrongType ? rng.pick<unknown>(["true", 1, 0, "yes"]) : rng.chance(0.5);
      case "DateTime":
        if (wrongType) return rng.pick<unknown>([...MALFORMED_DATES, 0, 8.64e15 + 1, -8.64e15 - 1, 1e20, true]);
        return hostile ? rng.pick(EXTREME_DATES) : isoOffset(rng, rng.int(-3_650, 3_650));
      case "JSON":
        return hostile ? oddJson(rng) : { greeting: "hello", language: rng.pick(["en", "de", "ar"]) };
      default:
        if (wrongType) return rng.pick<unknown>([1, true, {}, [], 1e308]);
        return hostile ? oddString(rng) : this.validString(rng, ctx);
    }
  }

  private validInt(rng: Rng, name: string): number {
    if (/first|last/.test(name)) return rng.pick([1, 2, 5, 20, 100]);
    if (/limit/.test(name)) return rng.pick([1, 5, 10, 50]);
    if (/quantity/.test(name)) return rng.pick([1, 2, 3]);
    if (/Cents/.test(name)) return rng.int(0, 10_000);
    if (/Volume/.test(name)) return rng.int(1, 100_000);
    return rng.int(0, 100);
  }

  private targetType(ctx: ValueContext): string | undefined {
    for (const [pattern, typename] of ARG_TARGET) if (pattern.test(ctx.name)) return typename;
    if (/^ids?$/.test(ctx.name)) for (const [pattern, typename] of INPUT_TARGET) if (pattern.test(ctx.parent)) return typename;
    return undefined;
  }

  /** An id: one of ours, another organization's, the wrong type, or forged. */
  id(rng: Rng, ctx: ValueContext, hostile: boolean): unknown {
    const target = this.targetType(ctx) ?? rng.pick(NODE_TYPES);
    const from = (pool: Record<string, string[]>, typename: string) => (pool[typename]?.length ? rng.pick(pool[typename]!) : undefined);
    const source = hostile
      ? rng.weighted<string>([
          [5, "forged"],
          [3, "other"],
          [2, "own-wrong-type"],
        ])
      : rng.weighted<string>([
          [14, "own"],
          [3, "other"],
          [1, "own-wrong-type"],
          [2, "forged"],
        ]);
    if (source === "own") return from(this.world.own, target) ?? globalId(target, rng.uuid());
    if (source === "other") return from(this.world.other, target) ?? from(this.world.other, rng.pick(NODE_TYPES)) ?? globalId(target, rng.uuid());
    if (source === "own-wrong-type") {
      const wrong = rng.pick(NODE_TYPES.filter((t) => t !== target));
      const real = from(this.world.own, wrong) ?? from(this.world.other, wrong);
      // A real uuid of one type under another type name, or the real id of the wrong type.
      if (real && rng.chance(0.5)) return globalId(target, Buffer.from(real, "base64").toString("utf8").split(":")[1] ?? rng.uuid());
      return real ?? globalId(wrong, rng.uuid());
    }
    return rng.weighted<() => unknown>([
      [3, () => globalId(target, rng.uuid())], // a valid id that exists nowhere
      [2, () => globalId(target, rng.pick(["not-a-uuid", "", "1", "00000000-0000-0000-0000-00000000000g", "------------------------------------", `${rng.uuid()}\u0000`, `${rng.uuid()} `, rng.uuid().toUpperCase(), rng.uuid().replace(/-/g, "")]))],
      [1, () => globalId(rng.pick(["Organization", "Event", "NumberOrder", "User", "Query", "__proto__", "", "Agent:Agent"]), rng.chance(0.5) ? this.world.otherOrganizationId : rng.uuid())],
      [1, () => globalId(target, oddString(rng))],
      [1, () => b64(oddString(rng))],
      [1, () => oddString(rng)],
      [1, () => rng.uuid()],
      [1, () => rng.pick<unknown>([0, -1, 2 ** 31 - 1, 1e21, 1.5])],
      [1, () => `${globalId(target, rng.uuid())}${rng.pick(["=", "==", " ", "\n", "%3D", "@@"])}`],
      [1, () => globalId(target, rng.uuid()).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")],
      [1, () => b64(`${target}:${rng.uuid()}:extra`)],
    ])();
  }

  private phone(rng: Rng): string {
    return rng.weighted<() => string>([
      [10, () => `+1415${rng.pick(["555", "666", "777", "888"])}${rng.digits(4)}`],
      [2, () => rng.pick(this.world.otherE164.length ? this.world.otherE164 : ["+14155550100"])],
      [2, () => rng.pick(this.world.ownE164.length ? this.world.ownE164 : ["+14155550100"])],
      [1, () => `+1 (415) 555-${rng.digits(4)}`],
      [1, () => `+44 20 7946 ${rng.digits(4)}`],
      [1, () => `+1604555${rng.digits(4)}`],
      [1, () => rng.pick(["+", "+0", "+1", "+999", "1", "4155550100", "+1415555010", "+141555501000", "+" + "9".repeat(30), "tel:+14155550100", "+1-415-555-0100 ext. 5", "＋１４１５５５５０１００", "+١٤١٥٥٥٥٠١٠٠"])],
    ])();
  }

  /** A plausible string for a named field, so valid-ish operations get past validation. */
  private validString(rng: Rng, ctx: ValueContext): string {
    const name = ctx.name;
    if (/^(after|before)$/.test(name)) return this.cursor(rng);
    if (/e164|^to$|^phone$/.test(name)) return this.phone(rng);
    if (name === "areaCode") return rng.pick(["415", "305", "212", "917", "604", "416", "646", "41", "4155", "000"]);
    if (name === "contains") return rng.pick(["55", "555", "0", "1234567890", "12345678901"]);
    if (name === "country") return rng.pick(["US", "US", "CA", "GB", "us", "XX", "USA"]);
    if (name === "region") return rng.pick(["CA", "NY", "TX", "ZZ"]);
    if (name === "postalCode") return rng.pick(["94105", "10001", "ABCDE", "9410"]);
    if (name === "idempotencyKey") return `fuzz-${this.seed}-${rng.int(0, 40)}`;
    if (name === "scopes") return rng.pick(SCOPE_NAMES);
    if (name === "email") return rng.pick(["ops@example.com", "not-an-email", "a@b", "x@example.com"]);
    if (name === "website") return rng.pick(["https://example.com", "example.com", "javascript:alert(1)", "ftp://example.com"]);
    if (name === "mediaUrls") return rng.pick(["https://example.com/a.jpg", "http://example.com/a.jpg", "file:///etc/passwd", "https://127.0.0.1/x.png"]);
    if (name === "addresses") return rng.pick(["sip.example.com", "sip.example.com:5060", "sip:trunk@example.com", "203.0.113.5:5061", "host:99999", "[::1]:5060"]);
    if (name === "allowedSourceIps") return rng.pick(["203.0.113.0/24", "198.51.100.7", "::1", "2001:db8::/32", "999.1.1.1", "1.2.3.4/33", "0.0.0.0/0"]);
    if (name === "authPassword") return rng.pick(["correct-horse-battery", "short", "p".repeat(128), "p".repeat(129)]);
    if (name === "authUsername") return rng.pick(["trunk-user", "user@example.com", ""]);
    if (name === "registrationId") return rng.pick(["12-3456789", "123456789", "AB-CDEFGHI"]);
    if (name === "text") return rng.pick(["415", "+1415", "Front", "agent", "%", "_", ""]);
    if (name === "body") return rng.pick(["Hello from the fuzzer", "STOP", "HELP", "x".repeat(1600), "x".repeat(1601)]);
    return rng.pick(["Ava", "Front desk", "Sales line", "Support", "Ünïcödé", "agent-" + rng.int(0, 999), "x".repeat(100), "x".repeat(101)]);
  }

  private cursor(rng: Rng): string {
    return rng.weighted<() => string>([
      [3, () => (this.world.otherCursors.length ? rng.pick(this.world.otherCursors) : b64(`GPC:S:${rng.uuid()}`))],
      [3, () => b64(`GPC:S:${rng.uuid()}`)],
      [2, () => b64(`GPC:S:${rng.pick(["not-a-uuid", "", "\u0000", oddString(rng).slice(0, 100)])}`)],
      [2, () => b64(`GPC:${rng.pick(["N:1", "N:NaN", "N:1e+21", "D:99999999999999999", "D:-1", "I:1", "I:x", "B:@@", "O:{}", "O:[", "Z:", "T:[]", 'T:["S:a","S:b"]', "T:[", "M:1.5", "Q:?"])}`)],
      [1, () => b64(`GPC:T:${JSON.stringify([`S:${rng.uuid()}`])}`)],
      [1, () => rng.pick(["", "!!!", "GPC:S:x", "=", "A", b64("Agent:" + rng.uuid()), "%%%"])],
      [1, () => oddString(rng)],
    ])();
  }

  /**
   * A selection set for an output type: `__typename`, a few scalar fields and, in a mutation's
   * payload, every scalar field of the changed objects (so the database check can compare them),
   * `... on Error { code message }`.
   */
  selection(rng: Rng, type: GraphQLOutputType, depth: number, mode: "payload" | "sample"): string {
    const named = getNamedType(type) as GraphQLNamedType;
    if (isLeafType(named)) return "";
    if (isUnionType(named) || isInterfaceType(named)) {
      const parts = ["__typename"];
      if (isInterfaceType(named)) {
        for (const field of Object.values(named.getFields())) if (isLeafType(getNamedType(field.type)) && field.args.length === 0) parts.push(field.name);
      }
      const members = isUnionType(named) ? named.getTypes() : this.schema.getPossibleTypes(named);
      for (const member of members) {
        const isError = member.getInterfaces().some((i) => i.name === "Error");
        if (isError) continue;
        if (mode === "sample" && depth > 2 && !rng.chance(0.3)) continue;
        // Members share field names with other types ("message", "status"): aliased per member, so
        // the document never fails validation on a field conflict.
        const inner = this.objectSelection(rng, member, depth + 1, mode, `${member.name}_`);
        parts.push(`... on ${member.name} ${inner}`);
      }
      if (members.some((m) => m.getInterfaces().some((i) => i.name === "Error"))) {
        parts.push("... on Error { code message }");
        if (rng.chance(0.5) && members.some((m) => m.name === "ValidationError")) parts.push("... on ValidationError { fieldErrors { path code message } }");
      }
      return `{ ${parts.join(" ")} }`;
    }
    return this.objectSelection(rng, named as GraphQLObjectType, depth, mode);
  }

  /** Whether a field's type is an object with an id (a Node), or a list of them. */
  private holdsNode(type: GraphQLOutputType): boolean {
    const named = getNamedType(type);
    return isObjectType(named) && "id" in named.getFields() && named.getInterfaces().some((i) => i.name === "Node");
  }

  private objectSelection(rng: Rng, type: GraphQLObjectType, depth: number, mode: "payload" | "sample", aliasPrefix = ""): string {
    const alias = (name: string) => (aliasPrefix && name !== "id" ? `${aliasPrefix}${name}: ${name}` : name);
    const parts = ["__typename"];
    const fields = Object.values(type.getFields()).filter((f) => !f.args.some((a: GraphQLArgument) => isNonNullType(a.type) && a.defaultValue === undefined));
    // The payload of a mutation: every leaf of the Success type and of the objects it holds, and
    // the id of every object it holds (results[].phoneNumber), so the database check knows them.
    const full = mode === "payload" && depth <= 2;
    for (const field of fields) {
      const leaf = isLeafType(getNamedType(field.type));
      if (leaf) {
        if (full || field.name === "id" || rng.chance(0.35)) parts.push(alias(field.name));
        continue;
      }
      const payload = mode === "payload" && (depth <= 1 || (depth <= 3 && this.holdsNode(field.type)));
      if (!payload && !(depth < 4 && rng.chance(depth === 0 ? 0.6 : 0.25))) continue;
      const inner = this.selection(rng, field.type, depth + 1, payload ? "payload" : "sample");
      parts.push(`${alias(field.name)} ${inner}`);
    }
    return `{ ${parts.join(" ")} }`;
  }

  // ----- odd documents -----

  private oddDocument(rng: Rng): Omit<FuzzCase, "index"> {
    const key = { "x-api-key": this.world.credentials.main, "content-type": "application/json" };
    const valid = this.operation(rng, "query", [rng.pick(this.queryFields)], 0.02).document;
    const [label, query, extra] = rng.weighted<() => [string, string, Record<string, unknown>?]>([
      [3, () => ["truncated document", valid.slice(0, rng.int(1, Math.max(1, valid.length - 1)))]],
      [2, () => ["garbage document", oddString(rng)]],
      [1, () => ["two operations without a name", "query A { viewer { scopes } } query B { viewer { testMode } }"]],
      [1, () => ["unknown operationName", "query A { viewer { scopes } }", { operationName: rng.pick(["B", "", oddString(rng)]) }]],
      [1, () => ["operationName of the wrong type", "query A { viewer { scopes } }", { operationName: rng.pick<unknown>([1, ["A"], { a: 1 }, true]) }]],
      [1, () => ["fragment cycle", "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"]],
      [2, () => ["deeper than the depth limit", nested(`{ agents { edges { node { ${"phoneNumbers { edges { node { agent { ".repeat(rng.int(2, 6))} id`)]],
      [1, () => ["alias flood", `{ ${Array.from({ length: rng.pick([50, 200, 1000]) }, (_, i) => `a${i}: viewer { scopes }`).join(" ")} }`]],
      [1, () => ["alias flood of lists", `{ ${Array.from({ length: rng.pick([10, 50]) }, (_, i) => `a${i}: phoneNumbers(first: 100) { totalCount edges { node { id e164 } } }`).join(" ")} }`]],
      [1, () => ["directives with hostile arguments", `query($x: Boolean) { viewer @skip(if: $x) { scopes @include(if: ${rng.pick(['"yes"', "1", "null", "$x", "true"])}) } __typename @unknownDirective }`, { variables: { x: rng.pick<unknown>([true, "true", 1, null, oddString(rng)]) } }]],
      [1, () => ["huge comment", `# ${"c".repeat(rng.pick([10_000, 100_000]))}\n{ viewer { scopes } }`]],
      [1, () => ["unbalanced braces", "{".repeat(rng.pick([100, 10_000])) + "}".repeat(rng.int(0, 100))]],
      [1, () => ["introspection", rng.pick(["{ __schema { types { name kind fields { name } } } }", `{ __type(name: ${JSON.stringify(oddString(rng))}) { name fields { name } } }`, "{ __typename }"])]],
      [1, () => ["subscription over plain POST", "subscription { phoneNumberSetupStatusChanged { current { status } } }", { stream: true }]],
      [1, () => ["out-of-range default", "query($n: Int = 99999999999) { agents(first: $n) { totalCount } }"]],
      [1, () => ["NUL in a document", "{ viewer\u0000 { scopes } }"]],
      [1, () => ["many operations", Array.from({ length: 200 }, (_, i) => `query Q${i} { viewer { scopes } }`).join("\n"), { operationName: "Q199" }]],
      [1, () => ["duplicate variable definitions", 'query($a: String, $a: Int) { agents(filter: { text: $a }) { totalCount } }', { variables: { a: "x" } }]],
    ])();
    const { stream, ...fields } = extra ?? {};
    const headers = stream && rng.chance(0.5) ? { ...key, accept: "application/json" } : key;
    const body = JSON.stringify({ query, ...fields });
    return { label: `document: ${label}`, method: "POST", path: "/graphql", headers, body, stream: Boolean(stream), mutationFields: [] };
  }

  // ----- raw HTTP -----

  private rawCase(rng: Rng): Omit<FuzzCase, "index"> {
    const key = this.world.credentials.main;
    const json = { "content-type": "application/json", "x-api-key": key };
    const simple = JSON.stringify({ query: "{ viewer { scopes } }" });
    const mutation = 'mutation { createAgent(input: { name: "via GET" }) { __typename } }';
    const cases: Array<[number, () => Omit<FuzzCase, "index" | "mutationFields">]> = [
      [3, () => ({ label: "raw: malformed JSON body", method: "POST", path: "/graphql", headers: json, body: rng.pick(["{", '{"query":', '{"query":"{ viewer { scopes } }"', "{'query':'{}'}", '{"query":"\\x"}', "\u0000", simple.slice(0, -1) + ",}"]) })],
      [2, () => ({ label: "raw: empty body", method: "POST", path: "/graphql", headers: rng.chance(0.5) ? json : { "x-api-key": key }, body: "" })],
      [2, () => ({ label: "raw: JSON that is not an object", method: "POST", path: "/graphql", headers: json, body: rng.pick(["null", "[]", "123", '"query"', "true", "{}", '{"query":null}', '{"query":123}', '{"query":["{ viewer { scopes } }"]}', '{"query":{"a":1}}']) })],
      [2, () => ({ label: "raw: variables of the wrong shape", method: "POST", path: "/graphql", headers: json, body: JSON.stringify({ query: "{ viewer { scopes } }", variables: rng.pick<unknown>(["x", 1, [1, 2], true, "{}"]), extensions: rng.pick<unknown>([undefined, "x", [1], { persistedQuery: { sha256Hash: "abc", version: 1 } }]) }) })],
      [2, () => ({ label: "raw: wrong content type", method: "POST", path: "/graphql", headers: { "x-api-key": key, "content-type": rng.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/json; charset=utf-16", "application/jsonx", "application/graphql", "*/*", ";;;"]) }, body: rng.chance(0.5) ? simple : "query=%7B%20viewer%20%7B%20scopes%20%7D%20%7D" })],
      [1, () => ({ label: "raw: no content type", method: "POST", path: "/graphql", headers: { "x-api-key": key }, body: simple })],
      [2, () => ({ label: "raw: GET with a mutation", method: "GET", path: `/graphql?query=${encodeURIComponent(mutation)}`, headers: { "x-api-key": key, accept: "application/json" } })],
      [1, () => ({ label: "raw: GET with malformed parameters", method: "GET", path: rng.pick(["/graphql?query=%7B", "/graphql?query=%ZZ", "/graphql?variables=%7B&query=%7Bviewer%7Bscopes%7D%7D", "/graphql?query=" + "%7B".repeat(2000), "/graphql?query=a&query=b", "/graphql?extensions=x&query=%7B__typename%7D"]), headers: { "x-api-key": key, accept: "application/json" } })],
      [2, () => ({ label: "raw: batched array", method: "POST", path: "/graphql", headers: json, body: JSON.stringify(Array.from({ length: rng.pick([1, 2, 10, 100]) }, () => ({ query: rng.chance(0.5) ? "{ viewer { scopes } }" : mutation }))) })],
      [2, () => {
        const [list, filter, item] = rng.pick([["agents", "AgentFilter", "ACTIVE"], ["phoneNumbers", "PhoneNumberFilter", "ACTIVE"]] as const);
        const variables = rng.pick<() => unknown>([
          () => ({ filter: { text: "x".repeat(1_000_000) } }),
          () => Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`v${i}`, i])),
          () => ({ filter: { statuses: Array.from({ length: 80_000 }, () => item) } }),
        ])();
        return { label: "raw: huge variables object", method: "POST", path: "/graphql", headers: json, body: JSON.stringify({ query: `query($filter: ${filter}) { ${list}(filter: $filter) { totalCount } }`, variables }) };
      }],
      [1, () => ({ label: "raw: deeply nested JSON body", method: "POST", path: "/graphql", headers: json, body: `{"query":"{ viewer { scopes } }","variables":{"a":${"[".repeat(rng.pick([1_000, 100_000]))}${"]".repeat(rng.pick([0, 1_000]))}}}` })],
      [1, () => ({ label: "raw: invalid UTF-8", method: "POST", path: "/graphql", headers: json, body: Buffer.concat([Buffer.from('{"query":"{ viewer { scopes } }","variables":{"a":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}}')]) })],
      [1, () => ({ label: "raw: byte-order mark", method: "POST", path: "/graphql", headers: json, body: `\ufeff${simple}` })],
      [1, () => ({ label: "raw: odd method", method: rng.pick(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND"]), path: "/graphql", headers: json, body: rng.chance(0.5) ? simple : undefined })],
      [1, () => ({ label: "raw: odd path", method: rng.pick(["GET", "POST"]), path: rng.pick(["/graphql/", "/GRAPHQL", "/graphql%00", "/%ff", "/health?x=1", "/health/", "/graphql/../health", "//graphql", "/graphql#x", "/webhooks", "/webhooks/unknown", "/" + "a".repeat(4000)]), headers: json, body: undefined })],
      [1, () => ({ label: "raw: odd accept header", method: "POST", path: "/graphql", headers: { ...json, accept: rng.pick(["application/xml", "multipart/mixed", "text/event-stream;q=0", "*/*;q=0.5, text/html", "application/graphql-response+json; charset=latin1", ""]) }, body: simple })],
      [2, () => ({ label: "raw: unsigned webhook", method: "POST", path: rng.pick(["/webhooks/sandbox", "/webhooks/telnyx"]), headers: { "content-type": rng.pick(["application/json", "text/plain"]) }, body: rng.pick(["", "{", "[]", "null", JSON.stringify({ data: { event_type: "message.received", payload: { id: rng.uuid(), text: oddString(rng).slice(0, 500) } } }), "x".repeat(200_000)]) })],
      [1, () => ({ label: "raw: webhook with a garbage signature", method: "POST", path: rng.pick(["/webhooks/sandbox", "/webhooks/telnyx"]), headers: { "content-type": "application/json", "telnyx-signature-ed25519": rng.pick(["", "AAAA", b64(oddString(rng).slice(0, 100)), "x".repeat(5000)]), "telnyx-timestamp": rng.pick(["", "0", "-1", "99999999999999999999", "abc", "1e10"]), "x-sandbox-signature": rng.pick(["", "t=1,v1=abc", "v1=", "t=abc", "t=" + "9".repeat(40) + ",v1=00"]) }, body: JSON.stringify({ data: { event_type: "message.received" } }) })],
    ];
    return { ...rng.weighted(cases)(), mutationFields: [] };
  }
}

/** Closes every brace a document opened. */
function nested(document: string): string {
  const open = (document.match(/{/g) ?? []).length - (document.match(/}/g) ?? []).length;
  return `${document} ${"} ".repeat(Math.max(0, open))}`;
}

// ---------------------------------------------------------------------------------------------
// Reading the schema
// ---------------------------------------------------------------------------------------------

/** The live schema by introspection; schema.graphql when the server refuses introspection. */
export async function loadSchema(url: string, apiKey: string, fallbackSdl: () => string): Promise<{ schema: GraphQLSchema; source: string }> {
  const response = await sendCase(url, {
    index: -1,
    label: "introspection",
    method: "POST",
    path: "/graphql",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
    mutationFields: [],
  });
  const data = (response.json as { data?: IntrospectionQuery } | undefined)?.data;
  if (data?.__schema) return { schema: buildClientSchema(data), source: "introspection" };
  return { schema: buildSchema(fallbackSdl()), source: "schema.graphql" };
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

export interface FuzzResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body (for SSE: the first event's data). */
  json?: unknown;
  /** The request never got an answer (connection reset, timeout). */
  networkError?: string;
  ms: number;
}

const agent = new HttpAgent({ keepAlive: true, maxSockets: 16 });

/** Sends a case over a raw HTTP connection (exact bytes, methods and paths), with a deadline. */
export function sendCase(baseUrl: string, fuzzCase: FuzzCase, timeoutMs = 30_000): Promise<FuzzResponse> {
  const started = Date.now();
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (response: Omit<FuzzResponse, "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...response, ms: Date.now() - started });
    };
    const body = fuzzCase.body === undefined ? undefined : Buffer.isBuffer(fuzzCase.body) ? fuzzCase.body : Buffer.from(fuzzCase.body, "utf8");
    const req = httpRequest(
      {
        hostname,
        port,
        method: fuzzCase.method,
        path: fuzzCase.path,
        agent: fuzzCase.stream ? false : agent,
        headers: { ...fuzzCase.headers, ...(body ? { "content-length": String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          // A stream: the first complete event is enough; then hang up like a client that leaves.
          if (fuzzCase.stream && /\n\n/.test(Buffer.concat(chunks).toString("utf8"))) {
            const text = Buffer.concat(chunks).toString("utf8");
            req.destroy();
            finish({ status: res.statusCode ?? 0, headers: res.headers, text, json: firstEventData(text) });
          }
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = fuzzCase.stream ? firstEventData(text) : JSON.parse(text);
          } catch {
            json = undefined;
          }
          finish({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", (error) => finish({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8"), networkError: error.message }));
        if (fuzzCase.stream) {
          // A subscription that is accepted stays open without events: leave after a moment.
          setTimeout(() => {
            const text = Buffer.concat(chunks).toString("utf8");
            req.destroy();
            finish({ status: res.statusCode ?? 0, headers: res.headers, text, json: firstEventData(text) });
          }, 300);
        }
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 0, headers: {}, text: "", networkError: `no answer in ${timeoutMs} ms` });
    }, timeoutMs);
    req.on("error", (error) => finish({ status: 0, headers: {}, text: "", networkError: error.message }));
    req.end(body);
  });
}

function firstEventData(text: string): unknown {
  const data = text
    .split("\n\n")
    .flatMap((event) => event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()))
    .find((line) => line.length > 0);
  if (!data) return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** A short, printable form of a request for the report. */
export function describeCase(fuzzCase: FuzzCase, max = 600): string {
  const body = fuzzCase.body === undefined ? "" : Buffer.isBuffer(fuzzCase.body) ? `<${fuzzCase.body.length} bytes>` : fuzzCase.body;
  const printable = `${fuzzCase.method} ${fuzzCase.path.length > 200 ? `${fuzzCase.path.slice(0, 200)}…` : fuzzCase.path} ${body}`
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .replace(/\p{Surrogate}/gu, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return printable.length > max ? `${printable.slice(0, max)}… (${body.length} chars)` : printable;
}

export function closeFuzzConnections(): void {
  agent.destroy();
}

import pg from "pg";

// Prisma 6.19's Wasm schema engine cannot deserialize the catalog types `name` (OID 19) and
// `"char"` (OID 18) that adapter-pg reports for catalog queries. Reporting them as text (OID 25)
// lets `prisma migrate` introspect PostgreSQL and PGlite. Only the Prisma CLI process loads this.
const CATALOG_TYPES_AS_TEXT = new Set([18, 19]);
const TEXT_OID = 25;

let installed = false;

export function reportCatalogTypesAsText(): void {
  if (installed) return;
  installed = true;
  // Pool#query runs Client#query with a callback, so both prototypes are wrapped.
  for (const proto of [pg.Client.prototype, pg.Pool.prototype] as Array<{ query: (...args: unknown[]) => unknown }>) {
    const originalQuery = proto.query;
    proto.query = function queryWithTextCatalogTypes(this: unknown, ...args: unknown[]) {
      const result = originalQuery.apply(this, args);
      if (result && typeof (result as Promise<unknown>).then === "function") {
        return (result as Promise<pg.QueryResult>).then((value) => {
          for (const field of value?.fields ?? []) {
            if (CATALOG_TYPES_AS_TEXT.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
          }
          return value;
        });
      }
      return result;
    };
  }
}

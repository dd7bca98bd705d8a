import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for tests, the benchmarks and the typed client example: `graphql(...)` calls in
// test/, bench/ and examples/typed-client/ are checked against the committed schema.graphql and
// typed from it.
const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    // Which object types each union and interface may be, for clients that match fragments on
    // abstract types from a local map (Apollo Client's `possibleTypes`). Committed; test/schema.test.ts
    // fails when it is stale.
    "clients/possible-types.json": {
      plugins: ["fragment-matcher"],
      config: { apolloClientVersion: 3 },
    },
    // The typed client example's own documents (examples/typed-client): generated, not committed,
    // like test/generated (`npm run codegen`, also run by `npm ci` through `npm run generate`).
    "examples/typed-client/gql/": {
      documents: ["examples/typed-client/*.ts"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: "string", JSON: "unknown" },
      },
    },
    "test/generated/": {
      documents: ["test/**/*.ts", "bench/**/*.ts", "!test/generated/**"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;

import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for tests and the benchmarks: `graphql(...)` calls in test/ and bench/ are
// checked against the committed schema.graphql and typed from it.
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/**/*.ts", "bench/**/*.ts", "!test/generated/**"],
  ignoreNoDocuments: true,
  generates: {
    // Which object types each union and interface may be, for clients that match fragments on
    // abstract types from a local map (Apollo Client's `possibleTypes`). Committed; test/schema.test.ts
    // fails when it is stale.
    "clients/possible-types.json": {
      plugins: ["fragment-matcher"],
      config: { apolloClientVersion: 3 },
    },
    "test/generated/": {
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

import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for tests and the benchmarks: `graphql(...)` calls in test/ and bench/ are
// checked against the committed schema.graphql and typed from it.
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/**/*.ts", "bench/**/*.ts", "!test/generated/**"],
  ignoreNoDocuments: true,
  generates: {
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

import { defineConfig } from "prisma/config";
import { connectionOptionsFromUrl } from "./src/db/connection-options.ts";
import { PrismaPgWholeScripts } from "./src/db/migration-scripts.ts";
import { reportCatalogTypesAsText } from "./src/db/pg-catalog-types.ts";

// The Prisma CLI here runs the Wasm schema engine through a driver adapter: the native engine
// cannot be downloaded on these machines (../shared/docs/prisma-offline.md). Migration scripts go to
// the database whole, as Prisma's own engine sends them (src/db/migration-scripts.ts).
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is required for prisma migrate");
    reportCatalogTypesAsText();
    return new PrismaPgWholeScripts({ ...connectionOptionsFromUrl(url), idleTimeoutMillis: 200 });
  },
});

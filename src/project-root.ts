import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout's root directory (package.json, prisma/, scripts/, node_modules/). This module is one
 * level below it however the server runs: src/project-root.ts under tsx, and inside the bundle in
 * dist/ (scripts/build.mjs writes every file of it directly into dist/).
 */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

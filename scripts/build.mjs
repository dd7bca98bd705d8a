// Bundles the server for plain `node` (no TypeScript loader at run time): src/cli/index.ts and what it
// imports, dependencies included, into ES modules directly in dist/ (dist/switchboard.js, the
// package.json "bin", plus the chunks its lazy imports load). One bundle instead of ~180 compiled
// files and ~250 package files: a start no longer resolves, reads and links each of them.
//   node scripts/build.mjs             always builds (postinstall, after `npm ci`)
//   node scripts/build.mjs --if-stale  builds only when dist/ is older than a file under src/, the
//                                      build script, package.json, the lockfile or the installed
//                                      packages: `npm start` after an edit, a `git pull` or an
//                                      install never runs stale JavaScript (scripts/run.mjs makes
//                                      the same check inside the server's process).
// Type checking is `npm run typecheck`'s job; the build only emits, so it stays quick.
// Messages go to stderr: stdout belongs to the command that runs after it.
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const stamp = path.join(dist, ".built");
export const ENTRY = path.join(dist, "switchboard.js");

/**
 * Left out of the bundle and loaded from node_modules at run time: packages that find files of their
 * own next to their code or are large and loaded lazily anyway (Prisma's Wasm query compiler, which
 * the generated client imports on its first query, PGlite's Wasm and data files), packages loaded
 * lazily on purpose (GraphiQL's 9 MB page, the Telnyx SDK, OpenTelemetry's SDK when tracing is
 * configured), and optional native add-ons that are not installed (pg-native, ws's bufferutil and
 * utf-8-validate), which their packages require inside a try. Prisma's client runtime
 * (@prisma/client/runtime/client, CommonJS needing only Node's built-ins) is bundled.
 */
const EXTERNAL = [
  "@prisma/client/runtime/query_compiler*",
  "@electric-sql/pglite",
  "@electric-sql/pglite/*",
  "@electric-sql/pglite-socket",
  "@graphql-yoga/render-graphiql",
  "telnyx",
  // The tracing SDK; @opentelemetry/api itself is bundled (prom-client loads it at start).
  "@opentelemetry/sdk-trace",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/resources",
  "pg-native",
  "bufferutil",
  "utf-8-validate",
];

/**
 * Every output file's first lines. The bundle is ESM, but CommonJS packages inside it call `require`
 * (for Node's built-ins and the externals) and some use `__dirname`: `require` resolves from dist/
 * (so node_modules is found as from anywhere in the checkout), and __sbProjectPath gives bundled
 * CommonJS files their own location back (see dirnameOfPackageFiles).
 */
const BANNER = [
  `import { createRequire as __sbCreateRequire } from "node:module";`,
  `import { dirname as __sbDirname, join as __sbJoin } from "node:path";`,
  `import { fileURLToPath as __sbFileURLToPath } from "node:url";`,
  `const require = __sbCreateRequire(import.meta.url);`,
  `const __sbProjectPath = (file) => __sbJoin(__sbDirname(__sbFileURLToPath(import.meta.url)), "..", file);`,
].join("\n");

/**
 * A CommonJS file of a package that uses __dirname or __filename (ioredis reads its package.json
 * with it) gets them declared at its top, pointing where the file really is in node_modules;
 * in the bundle they would otherwise be undefined, or dist/.
 */
const dirnameOfPackageFiles = {
  name: "dirname-of-package-files",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!/\b__(dirname|filename)\b/.test(source) || /\bimport\.meta\b/.test(source) || /\b(var|let|const)\s+__(dirname|filename)\b/.test(source)) return undefined;
      const file = path.relative(root, args.path).split(path.sep).join("/");
      const declarations = `var __filename = __sbProjectPath(${JSON.stringify(file)}), __dirname = __sbProjectPath(${JSON.stringify(path.posix.dirname(file))});`;
      return { contents: `${declarations}\n${source}`, loader: "js", resolveDir: path.dirname(args.path) };
    });
  },
};

function newestInput() {
  let newest = 0;
  const visit = (file) => {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const entry of readdirSync(file)) visit(path.join(file, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  visit(path.join(root, "src"));
  // npm rewrites node_modules/.package-lock.json on every install: dependencies are in the bundle too.
  for (const file of ["tsconfig.json", "package.json", "package-lock.json", "node_modules/.package-lock.json", "scripts/build.mjs"]) visit(path.join(root, file));
  return newest;
}

function builtAt() {
  return statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
}

/** True when dist/ is missing or older than anything it is built from. */
export function isStale() {
  return builtAt() < newestInput();
}

export async function build() {
  const started = Date.now();
  process.stderr.write("build: bundling src/ into dist/ ... ");
  const esbuild = await import("esbuild");
  rmSync(dist, { recursive: true, force: true });
  try {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: { switchboard: "src/cli/index.ts" },
      outdir: dist,
      // Every file directly in dist/: src/project-root.ts finds the checkout one level up.
      chunkNames: "[name]-[hash]",
      bundle: true,
      splitting: true, // lazy imports (a command, the embedded database, the demo seed, tracing) stay lazy
      format: "esm",
      platform: "node",
      target: "node20",
      external: EXTERNAL,
      // Package files keep their path under this checkout's node_modules (a symlinked node_modules
      // is not followed), which is where dirnameOfPackageFiles points them at run time.
      preserveSymlinks: true,
      banner: { js: BANNER },
      // Class and function names stay what the source says (errors' names in logs), even where two
      // modules' names collide in the bundle.
      keepNames: true,
      plugins: [dirnameOfPackageFiles],
      logLevel: "warning",
    });
  } catch (error) {
    process.stderr.write(`\nbuild: esbuild failed${error instanceof Error && !("errors" in error) ? `: ${error.message}` : ""}\n`);
    process.exit(1);
  }
  chmodSync(ENTRY, 0o755); // the package.json "bin", runnable as ./dist/switchboard.js too
  writeFileSync(stamp, "");
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (!process.argv.includes("--if-stale") || isStale()) await build();
}

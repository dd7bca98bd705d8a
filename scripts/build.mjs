// Compiles src/ to dist/ (plain JavaScript for `node`, no TypeScript loader at run time).
//   node scripts/build.mjs             always builds (postinstall, after `npm ci`)
//   node scripts/build.mjs --if-stale  builds only when a file under src/ (or a tsconfig, or
//                                      package.json) is newer than the last build: `npm start`
//                                      after an edit or a `git pull` never runs stale JavaScript.
// Type checking is `npm run typecheck`'s job; the build only emits (--noCheck), so it stays quick.
// Messages go to stderr: stdout belongs to the command that runs after it.
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stamp = path.join(root, "dist", ".built");

function newestSource() {
  let newest = 0;
  const visit = (file) => {
    const stat = statSync(file);
    if (stat.isDirectory()) for (const entry of readdirSync(file)) visit(path.join(file, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  visit(path.join(root, "src"));
  for (const file of ["tsconfig.json", "tsconfig.build.json", "package.json"]) visit(path.join(root, file));
  return newest;
}

function builtAt() {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return 0;
  }
}

if (process.argv.includes("--if-stale") && builtAt() >= newestSource()) process.exit(0);

const started = Date.now();
process.stderr.write("build: compiling src/ to dist/ ... ");
rmSync(path.join(root, "dist"), { recursive: true, force: true });
const result = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--noCheck"], {
  cwd: root,
  stdio: ["ignore", 2, 2],
});
if (result.status !== 0) {
  process.stderr.write(`\nbuild: tsc failed (exit ${result.status ?? result.signal})\n`);
  process.exit(1);
}
chmodSync(path.join(root, "dist/cli/index.js"), 0o755); // the package.json "bin", runnable as ./dist/cli/index.js too
writeFileSync(stamp, "");
process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

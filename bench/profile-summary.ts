// Where a server's CPU went, from a V8 CPU profile (`BENCH_CPU_PROF=<dir> npm run bench` writes
// one per server process): self time by package and the costliest functions.
//   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The package a script belongs to (`@scope/name` or `name` under node_modules), or what else it is. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith("node:")) return "node internals";
  const src = url.indexOf("/src/");
  if (src >= 0) return `src/${url.slice(src + 5).split("/")[0]}`;
  return url.replace(/^file:\/\//, "");
}

/**
 * A line of a file of the server's bundle in dist/ (scripts/build.mjs) as the source file it came from:
 * esbuild starts each module's code with a `// <path>` comment (`// node_modules/pg/lib/client.js`,
 * `// src/numbers/service.ts`), so the nearest such line above it names the file.
 */
const bundleSources = new Map<string, Array<{ line: number; source: string }>>();
function sourceInBundle(url: string, lineNumber: number): string | undefined {
  if (!/\/dist\/[^/]+\.js$/.test(url)) return undefined;
  let marks = bundleSources.get(url);
  if (!marks) {
    marks = [];
    const lines = readFileSync(fileURLToPath(url), "utf8").split("\n");
    lines.forEach((text, line) => {
      const match = /^\/\/ ((?:node_modules|src)\/\S+)$/.exec(text);
      if (match) marks!.push({ line, source: match[1]! });
    });
    bundleSources.set(url, marks);
  }
  let found: string | undefined;
  for (const mark of marks) {
    if (mark.line > lineNumber) break;
    found = mark.source;
  }
  return found && `/${found}`;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map<number, number>();
// Each sample's time is the delta that follows it.
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000));

const packages = new Map<string, number>();
const functions = new Map<string, number>();
let busy = 0;
for (const [id, ms] of selfMs) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === "(idle)") continue;
  busy += ms;
  const pkg = packageOf(sourceInBundle(url, lineNumber) ?? url, functionName);
  packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  const key = `${functionName || "(anonymous)"} ${pkg}${url ? `:${lineNumber + 1}` : ""}`;
  functions.set(key, (functions.get(key) ?? 0) + ms);
}

const table = (entries: Map<string, number>, limit: number) =>
  [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${name}`)
    .join("\n");

console.log(`${file}: ${(busy / 1000).toFixed(1)} s busy of ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled\n`);
console.log(`Self time by package:\n${table(packages, top)}\n`);
console.log(`Self time by function:\n${table(functions, top)}`);

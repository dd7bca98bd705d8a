// bench/RESULTS.md holds one section per kind of run, each between markers, so a run rewrites its
// own section and keeps the others (and any text written around them by hand).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { ROOT } from "./measure.ts";

export const RESULTS_PATH = path.join(ROOT, "bench", "RESULTS.md");

const HEADER = `# Benchmark results

Written by \`npm run bench -- --write-results\` (the load test of issue 11),
\`npm run bench -- --scale large --write-results\` (the large data set) and
\`npm run bench:soak -- --write-results\` (the memory soak); see bench/README.md for how
each is measured. Each section below is replaced by the run that wrote it.
`;

export function replaceSection(name: string, content: string): void {
  let text: string;
  try {
    text = readFileSync(RESULTS_PATH, "utf8");
  } catch {
    text = HEADER;
  }
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${content.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_PATH, text.endsWith("\n") ? text : `${text}\n`);
}

/** The machine a run happened on, as markdown lines. */
export async function machineLines(admin: pg.Client): Promise<string[]> {
  const cpuModel = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown";
  const nproc = execFileSync("nproc").toString().trim();
  const { rows } = await admin.query<{ version: string }>("SELECT version()");
  const postgres = rows[0]!.version.split(" on ")[0];
  const [one, five] = os.loadavg();
  return [
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Machine: ${nproc} CPUs (nproc), ${cpuModel}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; load average ${one!.toFixed(2)} / ${five!.toFixed(2)} (1 / 5 min) at the start`,
    `- Node ${process.version}, ${postgres} on the same machine`,
  ];
}

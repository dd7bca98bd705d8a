import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import type { Logger } from "pino";
import { PROJECT_ROOT as ROOT } from "../project-root.ts";
import { connectionOptionsFromUrl } from "./connection-options.ts";

const MIGRATIONS_DIR = path.join(ROOT, "prisma", "migrations");

/** Migration folders committed in prisma/migrations, oldest first. */
async function committedMigrations(): Promise<string[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** Names of migrations the database records as applied (none when Prisma's table is missing). */
async function appliedMigrations(url: string): Promise<Set<string>> {
  const client = new pg.Client(connectionOptionsFromUrl(url));
  await client.connect();
  try {
    const table = await client.query<{ exists: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS exists`);
    if (!table.rows[0]?.exists) return new Set();
    const rows = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    return new Set(rows.rows.map((r) => r.migration_name));
  } finally {
    await client.end();
  }
}

export async function pendingMigrations(url: string): Promise<string[]> {
  const [committed, applied] = await Promise.all([committedMigrations(), appliedMigrations(url)]);
  return committed.filter((name) => !applied.has(name));
}

/**
 * Applies pending migrations with `prisma migrate deploy` in a child process. Checking first keeps
 * an up-to-date start fast (one query instead of a CLI run). The child is awaited asynchronously:
 * in embedded mode the database it talks to lives in this process's event loop.
 */
export async function migrateDatabase(url: string, logger: Logger): Promise<{ applied: string[] }> {
  const pending = await pendingMigrations(url);
  if (pending.length === 0) {
    logger.debug("database schema is up to date");
    return { applied: [] };
  }
  logger.info({ pending }, "applying database migrations");
  const started = Date.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules/prisma/build/index.js"), "migrate", "deploy"], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: url,
        NODE_OPTIONS: `--require ${path.join(ROOT, "scripts/unref-long-timers.cjs")}`,
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) {
    throw new Error(`prisma migrate deploy failed (exit ${code}):\n${output.join("").replace(/postgresql:\/\/\S+/g, "postgresql://…")}`);
  }
  logger.info({ applied: pending, ms: Date.now() - started }, "database migrations applied");
  return { applied: pending };
}

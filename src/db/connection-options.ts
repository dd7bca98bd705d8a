/**
 * Discrete connection settings from a PostgreSQL URL. adapter-pg builds its shadow-database
 * config with `{ ...config, database }`, which a `connectionString` would override, so the
 * Prisma CLI and the server both pass these fields instead.
 */
export interface PgConnectionOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

export function connectionOptionsFromUrl(url: string): PgConnectionOptions {
  const parsed = new URL(url);
  if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
    throw new Error(`DATABASE_URL must be a postgresql:// URL, got ${parsed.protocol}//…`);
  }
  return {
    host: decodeURIComponent(parsed.hostname) || "127.0.0.1",
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || "postgres",
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "postgres",
  };
}

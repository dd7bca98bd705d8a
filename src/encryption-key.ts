import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { ConfigError, type Config } from "./config.ts";
import { SecretBox } from "./domain/secret-box.ts";

/**
 * The key that encrypts secrets at rest: ENCRYPTION_KEY when set (required with a database
 * server), else `DATA_DIR/encryption.key`, created with 0600 permissions on the first start.
 */
export async function loadSecretBox(config: Config, logger: Logger): Promise<SecretBox> {
  if (config.encryptionKey) return SecretBox.fromString(config.encryptionKey);
  if (config.databaseUrl) {
    // Instances sharing a database server must share the key, so none is invented here.
    throw new ConfigError("Invalid configuration:\n  ENCRYPTION_KEY: required with DATABASE_URL (32 bytes as 64 hex characters or base64)");
  }
  const keyPath = path.join(config.dataDir, "encryption.key");
  try {
    return SecretBox.fromString(await readFile(keyPath, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const key = SecretBox.generateKey();
  // "wx": never overwrite a key another process just wrote; secrets encrypted with it would be lost.
  await writeFile(keyPath, `${key}\n`, { mode: 0o600, flag: "wx" }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  logger.info({ keyPath }, "created the encryption key for secrets at rest");
  return SecretBox.fromString(await readFile(keyPath, "utf8"));
}

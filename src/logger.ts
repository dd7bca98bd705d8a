import pino, { type Logger } from "pino";

/** Structured JSON logs on stdout. Secrets never reach them: credentials and passwords are redacted by path. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "switchboard" },
    redact: {
      paths: ["*.password", "*.authPassword", "*.secret", "*.apiKey", "*.authorization", "*.headers.authorization", '*.headers["x-api-key"]'],
      censor: "[redacted]",
    },
  };
  // Tests hand in a destination that collects the lines; the server writes to stdout.
  return destination ? pino(options, destination) : pino(options);
}

// Preloaded into Prisma CLI processes: the Wasm schema engine leaves a 10 s timer running after its
// work, which keeps `prisma migrate deploy` alive for 10 s. Unref'ing long timers lets it exit.
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = function setTimeoutUnrefLong(callback, ms, ...args) {
  const timer = originalSetTimeout(callback, ms, ...args);
  if (typeof ms === "number" && ms >= 5000 && timer && typeof timer.unref === "function") timer.unref();
  return timer;
};

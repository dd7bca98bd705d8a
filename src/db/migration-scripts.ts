import { PrismaPg } from "@prisma/adapter-pg";

/**
 * adapter-pg 6.19 runs a migration script by splitting it at every `;` and sending the pieces one by
 * one, outside any transaction: a function body between `$$` is cut apart, and a script is not
 * atomic (LOCK TABLE refuses to run at all). Prisma's own engine sends the whole script as one
 * simple query, which PostgreSQL (and PGlite) run as one implicit transaction; this factory does
 * the same for the Prisma CLI (prisma.config.ts). Only the CLI process loads it.
 */
export class PrismaPgWholeScripts extends PrismaPg {
  override async connect() {
    return wholeScripts(await super.connect());
  }

  override async connectToShadowDb() {
    return wholeScripts(await super.connectToShadowDb());
  }
}

type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;

function wholeScripts(adapter: Adapter): Adapter {
  // onError turns a driver error into the DriverAdapterError the engine reports (protected in the typings).
  const reportError = (adapter as unknown as { onError(error: unknown): never }).onError.bind(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await adapter.underlyingDriver().query(script);
    } catch (error) {
      reportError(error);
    }
  };
  return adapter;
}

// `npm start`, `npm run db:migrate` and `npm run apikey`: the `switchboard` command from dist/, in
// this process (`exec node scripts/run.mjs serve`). dist/ is rebuilt first when it is older than its
// sources, so a start after an edit or a `git pull` never runs stale JavaScript; the check is a few
// hundred stats, made here rather than in a node process of its own before the server's.
import { pathToFileURL } from "node:url";
import { build, ENTRY, isStale } from "./build.mjs";

if (isStale()) await build();
await import(pathToFileURL(ENTRY).href);

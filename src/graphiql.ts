import { introspectionFromSchema, type GraphQLSchema } from "graphql";
import type { GraphiQLOptions, Plugin } from "graphql-yoga";
import { asBody, compress, negotiateEncoding, type ContentEncoding } from "./http/compression.ts";

/**
 * GraphiQL, set up to work on first load:
 * - the schema (the same SDL as the public `schema.graphql`) is in the page, so docs and
 *   autocomplete work before a key is entered and the page does not introspect without one (which
 *   answered 401 twice); API calls still need a key, as everywhere;
 * - the headers editor opens prefilled with the key header to fill in, and the headers of the tab
 *   that last carried a key are the headers of every new tab (shared across tabs);
 * - the page (9 MB, mostly the Monaco editor) is rendered once and compressed once per encoding.
 */
export const GRAPHIQL_HEADERS = `{
  // Paste your API key (sb_live_… or sb_test_…) here; new tabs get the same headers.
  // Or send "authorization": "Bearer <API key or JWT>" instead.
  "x-api-key": ""
}`;

export const GRAPHIQL_DEFAULT_QUERY = `# Switchboard's GraphiQL
#
# 1. Paste your API key into "x-api-key" in the Headers tab below.
# 2. Run this query with the ▶ button (Ctrl-Enter).
# The Docs (book icon, left) describe every type and field.
query Viewer {
  viewer {
    organization {
      name
    }
    scopes
  }
}
`;

/** Stands in for the schema in the options yoga's renderer serializes; replaced by script-safe JSON. */
const SCHEMA_PLACEHOLDER = "__SWITCHBOARD_INTROSPECTION__";

/**
 * GraphiQL (the version @graphql-yoga/render-graphiql bundles) opens every new tab with the headers it
 * was started with, and has no option to reuse the current ones (graphql/graphiql#4434, #4096).
 * This finds GraphiQL's state store through the rendered React tree and keeps its "headers of a
 * new tab" equal to the headers of the last tab that carried a key. Without the store (another
 * GraphiQL version) it does nothing and GraphiQL works as shipped.
 */
const SHARE_HEADERS_SCRIPT = `
(function shareHeadersAcrossTabs() {
  var CREDENTIAL = /"(x-api-key|authorization)"\\s*:\\s*"[^"\\s]/i;
  function findStore() {
    var element = document.querySelector(".graphiql-editors") || document.querySelector(".graphiql-sessions");
    if (!element) return undefined;
    var fiberKey = Object.keys(element).find(function (key) { return key.indexOf("__reactFiber$") === 0; });
    for (var fiber = fiberKey && element[fiberKey]; fiber; fiber = fiber.return) {
      var store = fiber.memoizedProps && fiber.memoizedProps.value && fiber.memoizedProps.value.current;
      if (store && typeof store.getState === "function" && store.getState().actions && store.getState().actions.addTab) return store;
    }
    return undefined;
  }
  var attempts = 0;
  (function attach() {
    var store = findStore();
    if (!store) {
      if (++attempts < 200) setTimeout(attach, 50);
      else console.warn("Switchboard: GraphiQL's store was not found; new tabs start with the default headers.");
      return;
    }
    function share(state) {
      var tab = state.tabs[state.activeTabIndex];
      if (tab && typeof tab.headers === "string" && CREDENTIAL.test(tab.headers) && state.defaultHeaders !== tab.headers) {
        store.setState({ defaultHeaders: tab.headers });
      }
    }
    share(store.getState());
    store.subscribe(share);
    document.documentElement.dataset.sharedHeaders = "on";
  })();
})();
`;

/** JSON that cannot end the <script> element it is written into. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export interface GraphiQLPageOptions {
  schema: GraphQLSchema;
  /** The GraphQL endpoint, where GraphiQL is served to browsers (GET with Accept: text/html). */
  endpoint: string;
  /** Whether to answer with a compressed page when the browser accepts it. */
  compression: boolean;
}

/**
 * Serves GraphiQL in place of yoga's own GraphiQL plugin (which renders the 9 MB page anew on
 * every request and cannot cache compressed copies). The bundle is loaded on the first request
 * for the page, not at start: held from the start it cost every server about 70 MB of memory.
 */
export function useGraphiQLPage({ schema, endpoint, compression }: GraphiQLPageOptions): Plugin {
  let page: Promise<Buffer> | undefined;
  const compressed = new Map<ContentEncoding, Promise<Buffer>>();

  const render = async (): Promise<Buffer> => {
    const { renderGraphiQL } = await import("@graphql-yoga/render-graphiql");
    const options: GraphiQLOptions & { schema: string } = {
      title: "Switchboard",
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
      headers: GRAPHIQL_HEADERS,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: "headers",
      schema: SCHEMA_PLACEHOLDER,
    };
    const introspection = scriptSafeJson(introspectionFromSchema(schema));
    const html = renderGraphiQL(options).replace(JSON.stringify(SCHEMA_PLACEHOLDER), () => introspection);
    // The page's own </body>, the last one: the bundle's code has the text "</body>" in it too.
    const end = html.lastIndexOf("</body>");
    return Buffer.from(`${html.slice(0, end)}<script>${SHARE_HEADERS_SCRIPT}</script>\n${html.slice(end)}`);
  };

  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== "GET" || !request.headers.get("accept")?.includes("text/html")) return;
      if (url.pathname !== endpoint && url.pathname !== `${endpoint}/`) return;
      const encoding = compression ? negotiateEncoding(request.headers.get("accept-encoding")) : undefined;
      return (async () => {
        // A failed render or compression is tried again by the next request, not kept.
        page ??= render().catch((error: unknown) => {
          page = undefined;
          throw error;
        });
        const html = page;
        let body = await html;
        if (encoding) {
          let entry = compressed.get(encoding);
          if (!entry) {
            entry = html.then((raw) => compress(raw, encoding, "static"));
            compressed.set(encoding, entry);
            entry.catch(() => compressed.delete(encoding));
          }
          body = await entry;
        }
        const headers: Record<string, string> = {
          "content-type": "text/html; charset=utf-8",
          "content-length": String(body.byteLength),
          vary: "Accept-Encoding",
          "cache-control": "no-cache",
        };
        if (encoding) headers["content-encoding"] = encoding;
        endResponse(new fetchAPI.Response(asBody(body), { status: 200, headers }));
      })();
    },
  };
}

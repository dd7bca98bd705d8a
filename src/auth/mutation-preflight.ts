import { getOperationAST, Kind, type DocumentNode, type FieldNode, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { forbiddenError, grants } from "./scopes.ts";

/**
 * A mutation's root fields are authorized together, before any of them runs. Scope checks per
 * field (plugin-scope-auth) run during execution: a FORBIDDEN second field would null the whole
 * response (mutation payloads are non-null) after the first field already wrote, so the client
 * would never see what it changed. Here an operation with any root field the caller may not call
 * is refused whole, and nothing runs.
 */
export function useMutationScopePreflight(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      const mutationType = args.schema.getMutationType();
      if (operation?.operation !== "mutation" || !mutationType) return;
      const caller = (args.contextValue as Context).caller;
      const missing = rootFields(args.document, operation.selectionSet).flatMap(({ name, responseKey }) => {
        const scope = (mutationType.getFields()[name]?.extensions.pothosOptions as { authScopes?: { scope?: string } } | undefined)?.authScopes?.scope;
        return scope !== undefined && !grants(caller.scopes, scope) ? [{ name, responseKey, scope }] : [];
      });
      if (missing.length > 0) {
        setResultAndStopExecution({
          errors: missing.map(({ name, responseKey, scope }) => forbiddenError(`${mutationType.name}.${name}`, [scope], [responseKey])),
        });
      }
    },
  };
}

/**
 * The root fields an operation selects, through fragments and inline fragments (each selection set
 * visited once), by response key. Directives (@skip, @include) are not evaluated here.
 */
export function rootFields(document: DocumentNode, selectionSet: SelectionSetNode): Array<{ name: string; responseKey: string; node: FieldNode }> {
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  const fields = new Map<string, { name: string; responseKey: string; node: FieldNode }>();
  const seen = new Set<SelectionSetNode>();
  const pending = [selectionSet];
  while (pending.length > 0) {
    const set = pending.pop()!;
    if (seen.has(set)) continue;
    seen.add(set);
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        fields.set(responseKey, { name: selection.name.value, responseKey, node: selection });
      }
      else if (selection.kind === Kind.INLINE_FRAGMENT) pending.push(selection.selectionSet);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) pending.push(fragment);
      }
    }
  }
  return [...fields.values()];
}

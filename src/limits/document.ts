import { GraphQLError, Kind, Lexer, Source, TokenKind, type ASTVisitor, type ValidationContext } from "graphql";

/**
 * Limits on the document itself, checked before and during validation with loops, never recursion,
 * so hostile documents (huge, deeply nested, fragment cycles) are refused without a stack overflow.
 */

/** A refusal of an operation for its shape or cost: a GraphQL error with a code, before anything runs. */
export function limitError(code: string, message: string, details: Record<string, number>): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Counts the tokens of a document and how deeply its braces, brackets and parentheses nest, in one
 * pass of graphql-js's lexer, stopping at the first limit crossed. GraphQL's parser and validator
 * recurse once per nesting level, so deep nesting is refused here, before they run.
 * Returns a limit error, or undefined when the document is within both limits (or does not lex:
 * the parser then reports the syntax error as usual).
 */
export function checkDocumentSize(source: string, limits: { maxTokens: number; maxNesting: number }): GraphQLError | undefined {
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens) {
        return limitError("TOKEN_LIMIT_EXCEEDED", `The document has more than ${limits.maxTokens} tokens`, { limit: limits.maxTokens });
      }
      if (OPENING.has(token.kind) && ++nesting > limits.maxNesting) {
        return limitError("NESTING_LIMIT_EXCEEDED", `The document nests braces, brackets or parentheses more than ${limits.maxNesting} deep`, {
          limit: limits.maxNesting,
        });
      }
      if (CLOSING.has(token.kind)) nesting--;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** A validation rule: at most `max` aliased fields in the document. */
export function maxAliasesRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === max + 1) {
          context.reportError(limitError("ALIAS_LIMIT_EXCEEDED", `The document uses more than ${max} aliases`, { limit: max }));
        }
      },
    };
  };
}

/** A validation rule: at most `max` directives in the document. */
export function maxDirectivesRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let directives = 0;
    return {
      [Kind.DIRECTIVE](_node) {
        if (++directives === max + 1) {
          context.reportError(limitError("DIRECTIVE_LIMIT_EXCEEDED", `The document uses more than ${max} directives`, { limit: max }));
        }
      },
    };
  };
}

/**
 * `text` for a Prisma `contains` filter that matches it literally: Prisma turns `contains` into
 * (I)LIKE without escaping (prisma/orm#19506), so "%" would match everything and "_" any
 * character. Backslash is PostgreSQL's default LIKE escape.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

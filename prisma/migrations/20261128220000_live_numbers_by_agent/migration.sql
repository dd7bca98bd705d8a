-- An agent's live (unreleased) numbers, counted for agent.phoneNumbers.totalCount on a list page:
-- an index-only count over that agent's own entries, whatever the size of the table.
-- Partial, so written here: Prisma's schema cannot express the predicate.
CREATE INDEX "PhoneNumber_agentId_live_idx" ON "PhoneNumber"("agentId") WHERE "status" <> 'RELEASED';

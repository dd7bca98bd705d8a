-- The number list's text filter (a substring of the label, case-insensitive, or of the digits) is
-- served by trigram indexes instead of reading every number of the organization.
-- pg_trgm is a trusted extension (PostgreSQL 13 and later): any owner of the database may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "PhoneNumber_label_trgm_idx" ON "PhoneNumber" USING gin ("label" gin_trgm_ops);
CREATE INDEX "PhoneNumber_e164_trgm_idx" ON "PhoneNumber" USING gin ("e164" gin_trgm_ops);

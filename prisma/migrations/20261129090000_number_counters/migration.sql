-- Counters of live numbers (every status but RELEASED), per organization and per agent, so a page's
-- totalCount and each agent's phoneNumbers.totalCount read one row instead of counting numbers.
-- PostgreSQL keeps them: triggers on "PhoneNumber" change them in the same transaction as the rows,
-- so they are exact whatever writes the rows (the API, jobs, the bench loader, psql) and survive
-- any crash that the rows survive.

-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "liveNumberCount" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "OrganizationCounter" (
    "organizationId" UUID NOT NULL,
    "liveNumbers" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "OrganizationCounter_pkey" PRIMARY KEY ("organizationId")
);

-- AddForeignKey
ALTER TABLE "OrganizationCounter" ADD CONSTRAINT "OrganizationCounter_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Written by hand below (Prisma's schema cannot express functions or triggers).
--
-- Statement-level triggers with transition tables: one run per statement sees all of its rows, sums
-- the changes per organization and per agent, and updates each counter row once. A row-level
-- trigger would update the same counter row once per row: a bulk load of 950,000 numbers in one
-- statement (bench/large-scale.ts) would leave 950,000 dead versions of one row in one transaction.
-- PostgreSQL allows transition tables only on a trigger of one event, hence three triggers.
--
-- Counter rows are locked in id order (organizations, then agents), so two statements changing the
-- same counters cannot deadlock on them.
--
-- Deleting an organization cascades to its counter, agents and numbers in an order PostgreSQL
-- chooses: a counter or agent already gone is no error (the UPDATE finds no row), and a deletion
-- never creates a counter (it only ever lowers one).

-- No number is written while the triggers are created and the counters filled: both see the same rows.
LOCK TABLE "PhoneNumber" IN SHARE ROW EXCLUSIVE MODE;

-- Applies one statement's changes, given as (id, delta) pairs with nonzero deltas.
CREATE FUNCTION "apply_live_number_changes"(organization_ids UUID[], organization_deltas INTEGER[], agent_ids UUID[], agent_deltas INTEGER[], may_create BOOLEAN)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  change RECORD;
BEGIN
  FOR change IN SELECT c.id, c.delta FROM unnest(organization_ids, organization_deltas) AS c(id, delta) ORDER BY c.id LOOP
    IF may_create THEN
      INSERT INTO "OrganizationCounter" ("organizationId", "liveNumbers") VALUES (change.id, change.delta)
        ON CONFLICT ("organizationId") DO UPDATE SET "liveNumbers" = "OrganizationCounter"."liveNumbers" + EXCLUDED."liveNumbers";
    ELSE
      UPDATE "OrganizationCounter" SET "liveNumbers" = "liveNumbers" + change.delta WHERE "organizationId" = change.id;
    END IF;
  END LOOP;
  FOR change IN SELECT c.id, c.delta FROM unnest(agent_ids, agent_deltas) AS c(id, delta) ORDER BY c.id LOOP
    UPDATE "Agent" SET "liveNumberCount" = "liveNumberCount" + change.delta WHERE "id" = change.id;
  END LOOP;
END;
$$;

CREATE FUNCTION "count_inserted_numbers"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  organization_ids UUID[];
  organization_deltas INTEGER[];
  agent_ids UUID[];
  agent_deltas INTEGER[];
BEGIN
  SELECT array_agg(c.id), array_agg(c.delta) INTO organization_ids, organization_deltas
    FROM (SELECT n."organizationId" AS id, count(*)::INTEGER AS delta FROM inserted_numbers n WHERE n."status" <> 'RELEASED' GROUP BY 1) c;
  SELECT array_agg(c.id), array_agg(c.delta) INTO agent_ids, agent_deltas
    FROM (SELECT n."agentId" AS id, count(*)::INTEGER AS delta FROM inserted_numbers n WHERE n."status" <> 'RELEASED' AND n."agentId" IS NOT NULL GROUP BY 1) c;
  PERFORM "apply_live_number_changes"(organization_ids, organization_deltas, agent_ids, agent_deltas, true);
  RETURN NULL;
END;
$$;

CREATE FUNCTION "count_updated_numbers"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  organization_ids UUID[];
  organization_deltas INTEGER[];
  agent_ids UUID[];
  agent_deltas INTEGER[];
BEGIN
  -- A release (-1), a change of agent (-1 for the old one, +1 for the new one), or nothing that counts.
  SELECT array_agg(c.id), array_agg(c.delta) INTO organization_ids, organization_deltas
    FROM (SELECT id, sum(delta)::INTEGER AS delta FROM (
            SELECT o."organizationId" AS id, -1 AS delta FROM old_numbers o WHERE o."status" <> 'RELEASED'
            UNION ALL
            SELECT n."organizationId", 1 FROM new_numbers n WHERE n."status" <> 'RELEASED') s
          GROUP BY id HAVING sum(delta) <> 0) c;
  SELECT array_agg(c.id), array_agg(c.delta) INTO agent_ids, agent_deltas
    FROM (SELECT id, sum(delta)::INTEGER AS delta FROM (
            SELECT o."agentId" AS id, -1 AS delta FROM old_numbers o WHERE o."status" <> 'RELEASED' AND o."agentId" IS NOT NULL
            UNION ALL
            SELECT n."agentId", 1 FROM new_numbers n WHERE n."status" <> 'RELEASED' AND n."agentId" IS NOT NULL) s
          GROUP BY id HAVING sum(delta) <> 0) c;
  PERFORM "apply_live_number_changes"(organization_ids, organization_deltas, agent_ids, agent_deltas, true);
  RETURN NULL;
END;
$$;

CREATE FUNCTION "count_deleted_numbers"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  organization_ids UUID[];
  organization_deltas INTEGER[];
  agent_ids UUID[];
  agent_deltas INTEGER[];
BEGIN
  SELECT array_agg(c.id), array_agg(c.delta) INTO organization_ids, organization_deltas
    FROM (SELECT o."organizationId" AS id, -count(*)::INTEGER AS delta FROM deleted_numbers o WHERE o."status" <> 'RELEASED' GROUP BY 1) c;
  SELECT array_agg(c.id), array_agg(c.delta) INTO agent_ids, agent_deltas
    FROM (SELECT o."agentId" AS id, -count(*)::INTEGER AS delta FROM deleted_numbers o WHERE o."status" <> 'RELEASED' AND o."agentId" IS NOT NULL GROUP BY 1) c;
  -- Never creates a counter: the organization may be the one being deleted.
  PERFORM "apply_live_number_changes"(organization_ids, organization_deltas, agent_ids, agent_deltas, false);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "PhoneNumber_count_inserted" AFTER INSERT ON "PhoneNumber"
  REFERENCING NEW TABLE AS inserted_numbers FOR EACH STATEMENT EXECUTE FUNCTION "count_inserted_numbers"();
CREATE TRIGGER "PhoneNumber_count_updated" AFTER UPDATE ON "PhoneNumber"
  REFERENCING OLD TABLE AS old_numbers NEW TABLE AS new_numbers FOR EACH STATEMENT EXECUTE FUNCTION "count_updated_numbers"();
CREATE TRIGGER "PhoneNumber_count_deleted" AFTER DELETE ON "PhoneNumber"
  REFERENCING OLD TABLE AS deleted_numbers FOR EACH STATEMENT EXECUTE FUNCTION "count_deleted_numbers"();

-- Backfill from the rows as they are.
INSERT INTO "OrganizationCounter" ("organizationId", "liveNumbers")
  SELECT "organizationId", count(*) FROM "PhoneNumber" WHERE "status" <> 'RELEASED' GROUP BY "organizationId";
UPDATE "Agent" a SET "liveNumberCount" = c.live
  FROM (SELECT "agentId", count(*) AS live FROM "PhoneNumber" WHERE "status" <> 'RELEASED' AND "agentId" IS NOT NULL GROUP BY "agentId") c
  WHERE a."id" = c."agentId";

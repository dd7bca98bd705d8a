-- CreateEnum
CREATE TYPE "PhoneNumberType" AS ENUM ('LOCAL', 'TOLL_FREE', 'MOBILE');

-- AlterTable
ALTER TABLE "PhoneNumber" ADD COLUMN     "numberType" "PhoneNumberType" NOT NULL DEFAULT 'LOCAL';

-- Backfill: existing rows are LOCAL (the default) except NANP toll-free numbers, recognised by
-- their area code. Other plans' toll-free and mobile ranges are not computed in SQL: such rows
-- stay LOCAL (src/domain/number-type.ts derives the type for numbers added from now on).
UPDATE "PhoneNumber" SET "numberType" = 'TOLL_FREE' WHERE "e164" ~ '^\+18(00|33|44|55|66|77|88)[0-9]{7}$';

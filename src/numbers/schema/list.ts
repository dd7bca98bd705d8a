// Phone numbers in the schema: the phoneNumbers list, its filter, order and facet counts.
import type { PhoneNumber } from "../../generated/prisma/client.ts";
import { builder, type EnumValues } from "../../schema/builder.ts";
import { OrderDirectionEnum } from "../../schema/order.ts";
import { phoneNumberTotalCount, resolvePhoneNumberPage } from "../page-resolver.ts";
import type { PhoneNumberFilter as PhoneNumberFilterValue, PhoneNumberOrder as PhoneNumberOrderValue } from "../service.ts";
import { NumberDirectionEnum, NumberSourceEnum, NumberStatusEnum, PhoneNumberTypeEnum } from "./types.ts";

const ReleasedFilterEnum = builder.enumType("ReleasedFilter", {
  description: "Whether a list includes released numbers.",
  values: {
    EXCLUDE: { description: "Only unreleased numbers (the default)." },
    INCLUDE: { description: "Released and unreleased numbers." },
    ONLY: { description: "Only released numbers." },
  } satisfies EnumValues<NonNullable<PhoneNumberFilterValue["released"]>>,
});

const PhoneNumberFilter = builder.inputType("PhoneNumberFilter", {
  description: "Narrows a phone-number list; all given conditions apply.",
  fields: (t) => ({
    text: t.string({ description: 'Substring of the number\'s digits (with or without "+") or of its label, case-insensitive.' }),
    sources: t.field({ type: [NumberSourceEnum], description: "Only these sources." }),
    statuses: t.field({ type: [NumberStatusEnum], description: "Only these lifecycle statuses." }),
    agentId: t.id({ description: "Only numbers routed to this agent." }),
    assigned: t.boolean({ description: "true: only numbers with an agent; false: only numbers without." }),
    directions: t.field({ type: [NumberDirectionEnum], description: "Only these directions." }),
    numberTypes: t.field({ type: [PhoneNumberTypeEnum], description: "Only these number types (LOCAL, TOLL_FREE, MOBILE)." }),
    createdAfter: t.field({ type: "DateTime", description: "Created at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Created before this time." }),
    released: t.field({ type: ReleasedFilterEnum, description: "Released numbers: EXCLUDE (default), INCLUDE or ONLY." }),
  }),
});

const PhoneNumberOrderField = builder.enumType("PhoneNumberOrderField", {
  description: "What a phone-number list is sorted by (the id breaks ties).",
  values: {
    CREATED_AT: { description: "Creation time." },
    UPDATED_AT: { description: "Last change." },
    E164: { description: "The number." },
    LABEL: { description: "The label." },
    MONTHLY_PRICE: { description: "Monthly price." },
  } satisfies EnumValues<PhoneNumberOrderValue["field"]>,
});

const PhoneNumberOrder = builder.inputType("PhoneNumberOrder", {
  description: "Sort order of a phone-number list.",
  fields: (t) => ({
    field: t.field({ type: PhoneNumberOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: "Sort direction." }),
  }),
});

interface Facets {
  byStatus: { status: PhoneNumber["status"]; count: number }[];
  bySource: { source: PhoneNumber["source"]; count: number }[];
  assigned: number;
  unassigned: number;
}

const StatusCount = builder.objectRef<Facets["byStatus"][number]>("NumberStatusCount").implement({
  description: "How many numbers have one status.",
  fields: (t) => ({
    status: t.expose("status", { type: NumberStatusEnum, description: "The status." }),
    count: t.exposeInt("count", { description: "Numbers in the filtered set with this status." }),
  }),
});

const SourceCount = builder.objectRef<Facets["bySource"][number]>("NumberSourceCount").implement({
  description: "How many numbers have one source.",
  fields: (t) => ({
    source: t.expose("source", { type: NumberSourceEnum, description: "The source." }),
    count: t.exposeInt("count", { description: "Numbers in the filtered set with this source." }),
  }),
});

const FacetsRef = builder.objectRef<Facets>("PhoneNumberFacets").implement({
  description: "Quick-filter counts of the filtered set, ignoring pagination.",
  fields: (t) => ({
    byStatus: t.field({ type: [StatusCount], description: "Counts by lifecycle status.", resolve: (f) => f.byStatus }),
    bySource: t.field({ type: [SourceCount], description: "Counts by source.", resolve: (f) => f.bySource }),
    assigned: t.exposeInt("assigned", { description: "Numbers with an agent." }),
    unassigned: t.exposeInt("unassigned", { description: "Numbers without an agent." }),
  }),
});

builder.queryField("phoneNumbers", (t) =>
  t.prismaConnection(
    {
      type: "PhoneNumber",
      cursor: "id",
      description: "The organization's phone numbers, filtered and sorted; newest first by default.",
      nullable: false,
      authScopes: { scope: "numbers:read" },
      args: {
        filter: t.arg({ type: PhoneNumberFilter, description: "Narrows the list." }),
        orderBy: t.arg({ type: PhoneNumberOrder, description: "Sort order; defaults to CREATED_AT DESC." }),
      },
      // One SQL statement for the page, its agents, their counts and the total (src/numbers/page-resolver.ts).
      totalCount: (_parent, args, context, info) => phoneNumberTotalCount(args, context, info),
      resolve: (query, _parent, args, context, info) => resolvePhoneNumberPage(query, args, context, info),
    },
    {
      name: "PhoneNumberConnection",
      description: "A page of phone numbers, with counts of the whole filtered set.",
      fields: (c) => ({
        facets: c.field({
          type: FacetsRef,
          description: "Counts by status, source and assignment of the filtered set.",
          resolve: (connection, _args, context) =>
            context.services.numbers.facets(context.caller, (connection as unknown as { args: { filter?: PhoneNumberFilterValue | null } }).args.filter),
        }),
      }),
    },
    { name: "PhoneNumberEdge", description: "One phone number in a page." },
  ),
);

import { GraphQLError } from "graphql";
import { builder } from "./builder.ts";

interface Viewer {
  organizationId: string;
  scopes: string[];
  mode: "LIVE" | "TEST";
  operator: boolean;
}

export const OrganizationRef = builder.prismaObject("Organization", {
  description: "An organization (workspace): the caller's own, or for platform operators the applicant of a verification submission.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The organization's id (the `org` claim of JWTs)." }),
    name: t.exposeString("name", { description: "Display name." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the organization was created." }),
  }),
});

const ViewerRef = builder.objectRef<Viewer>("Viewer").implement({
  description: "Who is calling.",
  fields: (t) => ({
    organization: t.prismaField({
      type: OrganizationRef,
      description: "The organization the credentials belong to. FORBIDDEN for platform operator keys, which belong to none.",
      // Operators have no organization: a clear refusal rather than a masked "not found".
      authScopes: (_viewer, _args, context) => !context.caller.operator,
      unauthorizedError: () => new GraphQLError("Platform operator keys belong to no organization", { extensions: { code: "FORBIDDEN" } }),
      resolve: (query, viewer, _args, context) =>
        context.prisma.organization.findUniqueOrThrow({ ...query, where: { id: viewer.organizationId } }),
    }),
    scopes: t.exposeStringList("scopes", { description: "Scopes the credentials grant." }),
    operator: t.exposeBoolean("operator", {
      description: "True for platform operator keys: they review 10DLC verifications across organizations (verification:review) and read nothing else.",
    }),
    testMode: t.boolean({ description: "True for sb_test_ keys: carriers and payments are sandboxes.", resolve: (v) => v.mode === "TEST" }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: ViewerRef,
    description: "The caller: their organization and scopes. Needs no scope.",
    resolve: (_root, _args, context) => ({
      organizationId: context.caller.organizationId,
      scopes: [...context.caller.scopes].sort(),
      mode: context.caller.mode,
      operator: context.caller.operator === true,
    }),
  }),
);

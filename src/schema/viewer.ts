import { builder } from "./builder.ts";

interface Viewer {
  organizationId: string;
  scopes: string[];
  mode: "LIVE" | "TEST";
}

const OrganizationRef = builder.prismaObject("Organization", {
  description: "The caller's organization (workspace).",
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
      description: "The organization the credentials belong to.",
      resolve: (query, viewer, _args, context) =>
        context.prisma.organization.findUniqueOrThrow({ ...query, where: { id: viewer.organizationId } }),
    }),
    scopes: t.exposeStringList("scopes", { description: "Scopes the credentials grant." }),
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
    }),
  }),
);

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization } from "./helpers/harness.ts";

const Viewer = graphql(`
  query Viewer {
    viewer {
      organization {
        name
      }
      scopes
      testMode
    }
  }
`);

describe("viewer", () => {
  test("an API key resolves to its organization and scopes", async () => {
    const org = await createOrganization("viewer");
    const data = await org.client.data(Viewer);
    assert.equal(data.viewer.organization.name, org.name);
    assert.deepEqual(data.viewer.scopes, ["*"]);
    assert.equal(data.viewer.testMode, false);
  });
});

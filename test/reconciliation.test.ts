import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";

const Buy = graphql(`
  mutation ReconBuy($areaCode: String!) {
    provisionPhoneNumber(input: { areaCode: $areaCode }) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        phoneNumber {
          id
          e164
        }
      }
    }
  }
`);

const Reconcile = graphql(`
  query Reconcile {
    carrierReconciliation {
      carrier
      consistent
      orphanedAtCarrier {
        e164
        status
      }
      missingAtCarrier {
        e164
      }
      stateMismatches {
        phoneNumber {
          e164
          status
        }
        carrierStatus
      }
    }
  }
`);

const Repair = graphql(`
  mutation Repair {
    repairCarrierReconciliation(input: {}) {
      __typename
      ... on RepairCarrierReconciliationSuccess {
        releasedAtCarrier
        activated {
          e164
          status
        }
        reconciliation {
          consistent
          missingAtCarrier {
            e164
          }
        }
      }
    }
  }
`);

describe("carrier reconciliation", () => {
  afterEach(async () => {
    (await getEnvironment()).switchboard.services.carriers.sandbox.faults.delayCompletion = false;
  });

  test("lists orphans, numbers missing at the carrier and state mismatches; repair fixes what is safe", async () => {
    const env = await getEnvironment();
    const carrier = env.switchboard.services.carriers.sandbox;
    const { prisma } = env.switchboard.database;
    const org = await createOrganization("recon");
    const other = await createOrganization("recon-other");
    const buy = async (areaCode: string) => {
      const data = await org.client.data(Buy, { areaCode });
      return (data.provisionPhoneNumber as { phoneNumber: { id: string; e164: string } }).phoneNumber;
    };

    assert.equal((await org.client.data(Reconcile)).carrierReconciliation.consistent, true);
    const lost = await buy("818");
    const orphan = await buy("818");
    carrier.faults.delayCompletion = true;
    const pending = await buy("818");
    carrier.faults.delayCompletion = false;

    carrier.forgetNumber(lost.e164); // the carrier lost it
    await prisma.phoneNumber.updateMany({ where: { e164: orphan.e164, organizationId: org.id }, data: { status: "FAILED" } }); // our row is gone
    carrier.completeOrders(); // completed at the carrier; our order job has not run yet

    const report = (await org.client.data(Reconcile)).carrierReconciliation;
    assert.equal(report.carrier, "sandbox");
    assert.equal(report.consistent, false);
    assert.deepEqual(report.orphanedAtCarrier, [{ e164: orphan.e164, status: "ACTIVE" }]);
    assert.deepEqual(report.missingAtCarrier, [{ e164: lost.e164 }]);
    assert.deepEqual(report.stateMismatches, [{ phoneNumber: { e164: pending.e164, status: "PENDING" }, carrierStatus: "ACTIVE" }]);
    assert.equal((await other.client.data(Reconcile)).carrierReconciliation.consistent, true, "another organization sees none of it");

    const repaired = await org.client.data(Repair);
    assert.equal(repaired.repairCarrierReconciliation.__typename, "RepairCarrierReconciliationSuccess");
    const result = repaired.repairCarrierReconciliation as Extract<typeof repaired.repairCarrierReconciliation, { __typename: "RepairCarrierReconciliationSuccess" }>;
    assert.deepEqual(result.releasedAtCarrier, [orphan.e164]);
    assert.deepEqual(result.activated, [{ e164: pending.e164, status: "ACTIVE" }]);
    assert.deepEqual(result.reconciliation.missingAtCarrier, [{ e164: lost.e164 }], "a number missing at the carrier is left for a person");
    assert.ok(!(await carrier.listNumbers()).some((n) => n.e164 === orphan.e164), "the orphan is no longer billed");
  });
});

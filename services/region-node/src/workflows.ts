import { composeWorkflows } from './casework/domain/workflow-registry';
import { disabilitySubsidyWorkflow } from './disability-subsidy/domain';
import { EconomicCheckLookups, economicCheckWorkflow } from './economic-check/domain';
import { funeralTransferWorkflow } from './funeral-transfer/domain';
import { marriageRegistrationWorkflow } from './marriage-registration/domain';

/**
 * What the node's lookups must answer beyond the common `CaseLookups`: the lookups its workflows declare, joined
 * with `&` (app.ts answers them from the database; the compiler refuses a workflow asking for one not listed here).
 */
export type NodeLookups = EconomicCheckLookups;

/**
 * The workflows this node runs: the one place that names them. Each folder exports one definition (state machine,
 * reactions, the lookups it needs); casework knows them only through the registry built here. A new workflow is
 * one more line (see README, "Adding a workflow").
 */
export const NODE_WORKFLOWS = composeWorkflows<NodeLookups>([
  disabilitySubsidyWorkflow,
  marriageRegistrationWorkflow,
  funeralTransferWorkflow,
  economicCheckWorkflow,
]);

import type { WorkflowDefinition } from '../../casework/domain/state-machine';
import { disabilitySubsidyReactions } from './disability-subsidy.reactions';
import { disabilitySubsidyMachine, SubsidyState } from './disability-subsidy.state-machine';

/** The disability subsidy workflow as the node plugs it in: its state machine and its reactions; common lookups only. */
export const disabilitySubsidyWorkflow: WorkflowDefinition<SubsidyState> = { ...disabilitySubsidyMachine, reactions: disabilitySubsidyReactions };

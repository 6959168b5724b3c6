import type { WorkflowDefinition } from '../../casework/domain/state-machine';
import { economicCheckReactions } from './economic-check.reactions';
import { EconomicCheckLookups, economicCheckMachine, EconomicCheckState } from './economic-check.state-machine';

/** The economic check workflow as the node plugs it in: its state machine, its reactions, and the spouse lookup it needs. */
export const economicCheckWorkflow: WorkflowDefinition<EconomicCheckState, EconomicCheckLookups> = {
  ...economicCheckMachine,
  reactions: economicCheckReactions,
};

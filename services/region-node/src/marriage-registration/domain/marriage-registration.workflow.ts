import type { WorkflowDefinition } from '../../casework/domain/state-machine';
import { marriageRegistrationReactions } from './marriage-registration.reactions';
import { marriageRegistrationMachine, MarriageState } from './marriage-registration.state-machine';

/** The marriage registration workflow as the node plugs it in: its state machine and its reactions; common lookups only. */
export const marriageRegistrationWorkflow: WorkflowDefinition<MarriageState> = { ...marriageRegistrationMachine, reactions: marriageRegistrationReactions };

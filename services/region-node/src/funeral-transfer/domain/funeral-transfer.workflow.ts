import type { WorkflowDefinition } from '../../casework/domain/state-machine';
import { funeralTransferMachine, FuneralState } from './funeral-transfer.state-machine';

/**
 * The funeral transfer workflow as the node plugs it in: its state machine; common lookups only. Its death
 * notices to other regions are the node's (casework reactions: `deathNoticesFor`), not a reaction of its own.
 */
export const funeralTransferWorkflow: WorkflowDefinition<FuneralState> = funeralTransferMachine;

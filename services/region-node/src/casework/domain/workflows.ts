import { disabilitySubsidyMachine } from '../../disability-subsidy/domain/disability-subsidy.state-machine';
import { economicCheckMachine } from '../../economic-check/domain/economic-check.state-machine';
import { funeralTransferMachine } from '../../funeral-transfer/domain/funeral-transfer.state-machine';
import { marriageRegistrationMachine } from '../../marriage-registration/domain/marriage-registration.state-machine';
import type { WorkflowName } from './casework.types';
import { COMMON_EVENT_TYPES, WorkflowDefinition } from './state-machine';

export const WORKFLOWS: readonly WorkflowDefinition[] = [
  disabilitySubsidyMachine as unknown as WorkflowDefinition,
  marriageRegistrationMachine as unknown as WorkflowDefinition,
  funeralTransferMachine as unknown as WorkflowDefinition,
  economicCheckMachine as unknown as WorkflowDefinition,
];

const byEventType = new Map<string, WorkflowDefinition>();
for (const workflow of WORKFLOWS) {
  for (const eventType of Object.keys(workflow.transitions)) {
    if ((COMMON_EVENT_TYPES as readonly string[]).includes(eventType)) continue;
    if (byEventType.has(eventType)) throw new Error(`${eventType} is claimed by two workflows`);
    byEventType.set(eventType, workflow);
  }
}

export function definitionFor(workflow: WorkflowName): WorkflowDefinition | undefined {
  return WORKFLOWS.find((w) => w.workflow === workflow);
}

/** The workflow an event type belongs to (undefined for the common events and unknown types). */
export function definitionForEventType(eventType: string): WorkflowDefinition | undefined {
  return byEventType.get(eventType);
}

/** Every event type the engine knows, workflow events first, then the common ones. */
export function knownEventTypes(): string[] {
  return [...byEventType.keys(), ...COMMON_EVENT_TYPES];
}

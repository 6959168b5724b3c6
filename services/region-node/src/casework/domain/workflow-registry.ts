import type { WorkflowName } from './casework.types';
import { COMMON_EVENT_TYPES, WorkflowDefinition } from './state-machine';

/**
 * The workflows a node runs, as the engine and the reactions see them. Built once by `composeWorkflows` from the
 * workflows' own definitions; casework never names a workflow itself. `L` is what the workflows' lookups add up to.
 */
export interface WorkflowRegistry<L extends object = object> {
  readonly definitions: readonly WorkflowDefinition<string, L>[];
  definitionFor(workflow: WorkflowName): WorkflowDefinition<string, L> | undefined;
  /** The workflow an event type belongs to (undefined for the common events and unknown types). */
  definitionForEventType(eventType: string): WorkflowDefinition<string, L> | undefined;
  /** Every event type the engine knows, workflow events first, then the common ones. */
  knownEventTypes(): string[];
  /** Whether an event type creates its case (the first event of a workflow). */
  opensCase(eventType: string): boolean;
}

/**
 * A registry of workflows. Refuses two definitions of one workflow name and two workflows claiming one event
 * type (each event type belongs to exactly one workflow; the common events belong to all). `L` is the lookups the
 * node answers: every definition's own lookups must be part of it (give it explicitly, e.g. `A & B`, when more
 * than one definition needs lookups of its own).
 */
export function composeWorkflows<L extends object>(definitions: readonly WorkflowDefinition<string, L>[]): WorkflowRegistry<L> {
  const byName = new Map<WorkflowName, WorkflowDefinition<string, L>>();
  const byEventType = new Map<string, WorkflowDefinition<string, L>>();
  for (const definition of definitions) {
    if (byName.has(definition.workflow)) throw new Error(`workflow ${definition.workflow} is defined twice`);
    byName.set(definition.workflow, definition);
    for (const eventType of Object.keys(definition.transitions)) {
      if ((COMMON_EVENT_TYPES as readonly string[]).includes(eventType)) continue;
      const holder = byEventType.get(eventType);
      if (holder) throw new Error(`${eventType} is claimed by two workflows (${holder.workflow}, ${definition.workflow})`);
      byEventType.set(eventType, definition);
    }
  }
  const registry: WorkflowRegistry<L> = {
    definitions: [...definitions],
    definitionFor: (workflow) => byName.get(workflow),
    definitionForEventType: (eventType) => byEventType.get(eventType),
    knownEventTypes: () => [...byEventType.keys(), ...COMMON_EVENT_TYPES],
    opensCase: (eventType) => byEventType.get(eventType)?.transitions[eventType]?.from === 'opens-case',
  };
  return registry;
}

/** What the reactions read of a registry: which workflow a case is in, its open states, roles and reactions. */
export interface ReactingWorkflows {
  definitionFor(workflow: WorkflowName): Pick<WorkflowDefinition, 'workflow' | 'openStates' | 'roleDivisions' | 'reactions'> | undefined;
}

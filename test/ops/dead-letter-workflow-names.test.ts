import { EVENT_TYPES, EVENT_WORKFLOWS } from '@tongban/avro';
import { NODE_WORKFLOWS } from '../../services/region-node/src/workflows';
import { WORKFLOW_OF_NAMESPACE, WORKFLOWS, workflowOfEventType } from '../../services/ops/src/dead-letters/domain/dead-letter';

/**
 * The `workflow` a dead letter stores in ops (and its filter takes) is the name the nodes give the workflow that
 * claims the event type: the one of their cases and of tongban_events_dead_lettered_total{workflow}.
 */
describe('dead letters name workflows as the nodes do', () => {
  it.each(EVENT_TYPES.map((t) => [t]))('%s', (eventType) => {
    const node = NODE_WORKFLOWS.definitionForEventType(eventType)?.workflow ?? null;
    // decoded: from the schema's namespace; undecodable: from the event type alone
    expect(WORKFLOW_OF_NAMESPACE[EVENT_WORKFLOWS[eventType]]).toBe(node);
    expect(workflowOfEventType(eventType) ?? null).toBe(node);
  });

  it('takes as filter values exactly the nodes’ workflows', () => {
    const nodeNames = [...new Set(EVENT_TYPES.map((t) => NODE_WORKFLOWS.definitionForEventType(t)?.workflow).filter(Boolean))].sort();
    expect([...WORKFLOWS].sort()).toEqual(nodeNames);
  });
});

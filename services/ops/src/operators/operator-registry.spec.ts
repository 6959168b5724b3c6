import { leastRoleFor, OperatorRegistry, parseOperatorSpec } from './operator-registry';

describe('operators', () => {
  it.each([
    ['alice:alice-token-123:admin', 0],
    ['alice:short:admin', 1],
    ['alice:alice-token-123:root', 1],
    ['alice:alice-token-123', 1],
    ['alice:alice-token-123:admin,alice:other-token-123:viewer', 1],
  ])('parses %s with %i problem(s)', (spec, problems) => {
    expect(parseOperatorSpec(spec).problems).toHaveLength(problems);
  });

  const registry = new OperatorRegistry(parseOperatorSpec('alice:alice-token-123:admin,bob:bob-token-1234:viewer,carol:carol-token-12:operator').operators);

  it.each([
    ['bob-token-1234', 'dlq.read', 'bob'],
    ['carol-token-12', 'dlq.replay', 'carol'],
    ['alice-token-123', 'dlq.read-clear', 'alice'],
    ['bob-token-1234', 'delivery.read', 'bob'],
    ['bob-token-1234', 'pipeline.read', 'bob'],
    ['carol-token-12', 'delivery.redeliver', 'carol'],
    ['alice-token-123', 'delivery.redeliver', 'alice'],
  ] as const)('lets %s %s', (token, permission, name) => {
    expect(registry.require(`Bearer ${token}`, permission).name).toBe(name);
  });

  it.each([
    ['bob-token-1234', 'dlq.replay', 'OPS.OPERATOR_FORBIDDEN'],
    ['carol-token-12', 'dlq.read-clear', 'OPS.OPERATOR_FORBIDDEN'],
    ['carol-token-12', 'audit.verify', 'OPS.OPERATOR_FORBIDDEN'],
    ['bob-token-1234', 'delivery.redeliver', 'OPS.OPERATOR_FORBIDDEN'],
    ['nobody-token-1', 'dlq.read', 'OPS.OPERATOR_UNAUTHENTICATED'],
  ] as const)('refuses %s %s', (token, permission, code) => {
    expect(() => registry.require(`Bearer ${token}`, permission)).toThrow(expect.objectContaining({ code }));
  });

  it('names the least role of each permission: reading for a viewer, acting for an operator', () => {
    expect([leastRoleFor('delivery.read'), leastRoleFor('pipeline.read'), leastRoleFor('delivery.redeliver'), leastRoleFor('audit.verify')]).toEqual([
      'viewer',
      'viewer',
      'operator',
      'admin',
    ]);
  });
});

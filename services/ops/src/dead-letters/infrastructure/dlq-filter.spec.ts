import { Problem } from '@tongban/errors';
import { parseFilter } from './dlq-filter';

describe('parseFilter', () => {
  it.each([
    [{ q: '  timeout  ' }, { q: 'timeout' }, []],
    [{ q: '   ' }, {}, []],
    [{ q: '%'.repeat(200) }, { q: '%'.repeat(200) }, []],
    [{ q: 'a'.repeat(201) }, {}, ['q']],
    [{ correlationId: 'c-1' }, { correlationId: 'c-1' }, []],
    [{ correlationId: 'x'.repeat(400) }, { correlationId: 'x'.repeat(300) }, []],
    [{ workflow: 'subsidy', q: 'b'.repeat(300) }, {}, ['q', 'workflow']],
    [{ personHash: 'f'.repeat(64), idNumber: '500111196804170022' }, {}, []],
  ])('%j → %j with problems at %j', (input, filter, paths) => {
    const problems: Problem[] = [];
    expect(parseFilter(input as Record<string, unknown>, problems)).toEqual(filter);
    expect(problems.map((p) => p.path)).toEqual(paths);
  });
});

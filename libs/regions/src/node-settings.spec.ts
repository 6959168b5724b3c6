import { ConfigError, EnvReader } from '@tongban/config';
import { readNodeList, readNodeUrls, readRouting } from './node-settings';

/** What the readers report about `env`: their values, or the problems the reader would stop the service with. */
function read<T>(env: Record<string, string>, reading: (r: EnvReader) => T): T | string[] {
  const r = new EnvReader(env);
  const value = reading(r);
  try {
    r.done();
    return value;
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

describe('the node settings every service reads alike', () => {
  it('routes nothing finer by default, both province nodes on their local ports, both provinces listed', () => {
    expect(read({}, readRouting)).toEqual([]);
    expect(read({}, readNodeUrls)).toEqual(
      new Map([
        ['510000', 'http://127.0.0.1:3201'],
        ['500000', 'http://127.0.0.1:3202'],
      ]),
    );
    expect(read({}, (r) => readNodeList(r, 'TONGBAN_OPS_NODES'))).toEqual(['510000', '500000']);
  });

  it('reads prefixes routed to nodes of their own, node URLs without trailing slashes, and a list of nodes', () => {
    expect(read({ TONGBAN_ROUTING: '5101=510100, 500107=500107' }, readRouting)).toEqual([
      ['5101', '510100'],
      ['500107', '500107'],
    ]);
    expect(read({ TONGBAN_NODE_URLS: '510100=https://node.example/api//' }, readNodeUrls)).toEqual(new Map([['510100', 'https://node.example/api']]));
    expect(read({ TONGBAN_DELIVERY_NODES: '510000,510100' }, (r) => readNodeList(r, 'TONGBAN_DELIVERY_NODES'))).toEqual(['510000', '510100']);
  });

  it.each<[Record<string, string>, (r: EnvReader) => unknown, string]>([
    [{ TONGBAN_ROUTING: '5=510100' }, readRouting, 'TONGBAN_ROUTING: "5=510100" must be <code prefix>=<node division>'],
    [{ TONGBAN_ROUTING: '5101=990000' }, readRouting, 'TONGBAN_ROUTING: "5101=990000" must be <code prefix>=<node division>'],
    [{ TONGBAN_NODE_URLS: '510000=127.0.0.1:3201' }, readNodeUrls, 'TONGBAN_NODE_URLS: "510000=127.0.0.1:3201" must be <node division>=<http url>'],
    [{ TONGBAN_OPS_NODES: '510000,5000' }, (r) => readNodeList(r, 'TONGBAN_OPS_NODES'), 'TONGBAN_OPS_NODES must list 6-digit division codes, got "5000"'],
  ])('names the variable and what it expects: %j', (env, reading, problem) => {
    expect(read(env, reading)).toEqual([problem]);
  });
});

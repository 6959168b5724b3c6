import { isWellFormedDivision } from './division-code';

/**
 * What the readers below need of the services' EnvReader (`@tongban/config`), typed by the calls they make so
 * that this lib depends on none.
 */
export interface NodeSettingsReader {
  list(name: string, fallback: string[]): string[];
  pairs<V>(name: string, fallback: string, parse: (key: string, value: string) => { value: V } | { problem: string }): Map<string, V>;
  fail(problem: string): void;
}

/** The two province nodes, the default wherever a list of nodes is read. */
export const PROVINCE_NODES: readonly string[] = ['510000', '500000'];

/** `TONGBAN_ROUTING`: `<code prefix>=<node division>` pairs routing a prefix to a node of its own (RoutingTable). */
export function readRouting(r: NodeSettingsReader): Array<[string, string]> {
  return [
    ...r.pairs<string>('TONGBAN_ROUTING', '', (prefix, node) =>
      /^\d{2,6}$/.test(prefix) && isWellFormedDivision(node) ? { value: node } : { problem: `"${prefix}=${node}" must be <code prefix>=<node division>` },
    ),
  ];
}

/** `TONGBAN_NODE_URLS`: `<node division>=<http url>` pairs, where each region node's internal API answers. */
export function readNodeUrls(r: NodeSettingsReader): Map<string, string> {
  return r.pairs<string>('TONGBAN_NODE_URLS', '510000=http://127.0.0.1:3201,500000=http://127.0.0.1:3202', (node, url) =>
    isWellFormedDivision(node) && /^https?:\/\//.test(url)
      ? { value: url.replace(/\/+$/, '') }
      : { problem: `"${node}=${url}" must be <node division>=<http url>` },
  );
}

/** A comma-separated list of node divisions in `name` (the province nodes when unset). */
export function readNodeList(r: NodeSettingsReader, name: string): string[] {
  const nodes = r.list(name, [...PROVINCE_NODES]);
  for (const n of nodes) if (!isWellFormedDivision(n)) r.fail(`${name} must list 6-digit division codes, got "${n}"`);
  return nodes;
}

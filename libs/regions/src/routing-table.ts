import { provinceOf } from './division-code';

/**
 * Which node receives an event addressed to a division. By default the province's node (510000 or
 * 500000); finer nodes are configured as `prefix=node` pairs, the longest matching prefix winning
 * (e.g. `5101=510100` makes Chengdu a node of its own).
 */
export class RoutingTable {
  private readonly rules: Array<[string, string]>;

  constructor(overrides: Map<string, string> | Array<[string, string]> = []) {
    this.rules = [...overrides].sort((a, b) => b[0].length - a[0].length);
  }

  nodeFor(division: string): string {
    for (const [prefix, node] of this.rules) if (division.startsWith(prefix)) return node;
    return provinceOf(division);
  }

  nodes(defaults: string[] = ['510000', '500000']): string[] {
    return [...new Set([...defaults, ...this.rules.map(([, node]) => node)])];
  }
}

/**
 * Topic names are part of the fixed interface: `<namespace>.<node>.inbox`, `.retry.<n>`, `.dlq`.
 * `<namespace>.<node>.local` holds the publishing region's own copies of its events (all fields): only
 * that node reads it, so nothing a partner principal may read carries more than was meant for it.
 */
export const topics = {
  inbox: (namespace: string, node: string) => `${namespace}.${node}.inbox`,
  local: (namespace: string, node: string) => `${namespace}.${node}.local`,
  retry: (topic: string, n: number) => `${topic}.retry.${n}`,
  dlq: (topic: string) => `${topic}.dlq`,
};

import { provinceOf } from './division-code';
import { PROVINCE_NODES } from './node-settings';

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

  nodes(defaults: readonly string[] = PROVINCE_NODES): string[] {
    return [...new Set([...defaults, ...this.rules.map(([, node]) => node)])];
  }
}

/** Leaf paths of a JSON value: `applicant.idNumber`, `members[0].name`. */
export function flatten(value: unknown, path = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, []);
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(path, {});
    for (const [k, v] of entries) flatten(v, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, value);
  }
  return out;
}

/** The leaf paths whose values differ between two JSON values, in a stable order. */
export function changedPaths(before: unknown, after: unknown): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p))).sort();
}

/** Only the given leaf paths of a value, as a flat `{ path: value }` object. */
export function pick(value: unknown, paths: string[]): Record<string, unknown> {
  const flat = flatten(value);
  return Object.fromEntries(paths.map((p) => [p, flat.has(p) ? flat.get(p) : null]));
}

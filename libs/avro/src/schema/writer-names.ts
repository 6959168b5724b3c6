/**
 * A copy of a reader schema whose named types also answer to the writer's full names where only the
 * namespace differs. Java Avro resolves named types by short name, so a registry that agrees with it
 * accepts a record moved to another namespace; avsc resolves by full name or alias, and this bridges
 * the two without touching the reader's own names.
 */
export function withWriterNames(reader: unknown, writer: unknown): unknown {
  const written = new Map<string, string>();
  walkNamed(writer, undefined, (_node, fullName) => {
    written.set(shortName(fullName), fullName);
  });
  const copy = structuredClone(reader);
  walkNamed(copy, undefined, (node, fullName) => {
    const theirs = written.get(shortName(fullName));
    if (!theirs || theirs === fullName) return;
    const aliases = Array.isArray(node.aliases) ? (node.aliases as string[]) : [];
    if (!aliases.includes(theirs)) node.aliases = [...aliases, theirs];
  });
  return copy;
}

type Node = Record<string, unknown>;
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/** Calls `visit` for every named type defined in `schema`, with its full name. */
function walkNamed(schema: unknown, namespace: string | undefined, visit: (node: Node, fullName: string) => void): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) walkNamed(branch, namespace, visit);
    return;
  }
  if (!schema || typeof schema !== 'object') return;
  const node = schema as Node;
  let inner = namespace;
  if (NAMED.has(node.type as string) && typeof node.name === 'string') {
    const declared = typeof node.namespace === 'string' ? node.namespace : namespace;
    const fullName = node.name.includes('.') || !declared ? node.name : `${declared}.${node.name}`;
    inner = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
    visit(node, fullName);
  }
  if (Array.isArray(node.fields)) for (const f of node.fields as Node[]) walkNamed(f.type, inner, visit);
  if (node.items !== undefined) walkNamed(node.items, inner, visit);
  if (node.values !== undefined) walkNamed(node.values, inner, visit);
  if (typeof node.type === 'object') walkNamed(node.type, inner, visit);
}

/**
 * Where a page of a case search ended: the last case's update time and id (the search's order is newest first,
 * then by id), carried to the client as an opaque base64url token.
 */
export interface CaseCursor {
  updatedAt: Date;
  caseId: string;
}

export function encodeCursor(c: CaseCursor): string {
  return Buffer.from(`${c.updatedAt.toISOString()}|${c.caseId}`, 'utf8').toString('base64url');
}

/** The cursor a token names, or undefined for anything this node did not hand out. */
export function decodeCursor(token: string): CaseCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(token)) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  if (bar < 0) return undefined;
  const iso = text.slice(0, bar);
  const caseId = text.slice(bar + 1);
  const updatedAt = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(iso) || Number.isNaN(updatedAt.getTime()) || !/^[A-Za-z0-9][A-Za-z0-9._:-]{2,99}$/.test(caseId))
    return undefined;
  return { updatedAt, caseId };
}

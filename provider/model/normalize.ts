/**
 * Normalisers: values that differ only in ways the nodes do not care about compare equal, so the
 * plan right after an apply is empty (no diff that never settles).
 */

export interface TriggerValue {
  entityType: string;
  query: string;
  active: boolean;
  notes: string;
}

/** Line endings to LF, trailing white space of the whole text removed. */
export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
}

/**
 * Scripts compare equal when they differ only in line endings, trailing spaces on a line, or
 * blank lines at the start or end.
 */
export function normalizeScript(text: string | undefined): string {
  if (text === undefined) return '';
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/^\n+/, '')
    .replace(/\n+$/, '');
}

/**
 * Triggers as a canonical list: defaults applied, text trimmed, ordered by entity type, then
 * query, then notes (several triggers may share an entity type).
 */
export function normalizeTriggers(
  triggers: ReadonlyArray<{ entityType: string; query: string; active?: boolean; notes?: string }>,
): TriggerValue[] {
  return triggers
    .map((t) => ({
      entityType: t.entityType.trim(),
      query: t.query.trim(),
      active: t.active ?? true,
      notes: (t.notes ?? '').trim(),
    }))
    .sort(
      (a, b) => compare(a.entityType, b.entityType) || compare(a.query, b.query) || compare(a.notes, b.notes),
    );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** URLs compare without a trailing slash and with a lower-case scheme and host. */
export function normalizeUrl(url: string | undefined): string {
  if (url === undefined) return '';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}${u.search}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
}

/**
 * `base` when `taken` does not hold it, else `base<sep>2`, `base<sep>3`… — for names that clash
 * once sanitised (folders, construct ids, output names).
 */
export function uniqueName(base: string, taken: (name: string) => boolean, sep = '_'): string {
  let name = base;
  for (let n = 2; taken(name); n++) name = `${base}${sep}${n}`;
  return name;
}

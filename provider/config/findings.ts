import type { Finding } from '../model/errors';

export type { Finding };

export function formatFinding(f: Finding): string {
  const where = f.line > 0 ? `${f.file}:${f.line}:${f.col}` : f.file;
  const pointer = f.pointer !== undefined && f.pointer !== '' ? ` (${f.pointer})` : '';
  return `${where}: ${f.severity}: ${f.message}${pointer}`;
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A GitHub Actions workflow command that shows the finding as an inline annotation. */
export function githubAnnotation(f: Finding): string {
  const props = [`file=${escapeProperty(f.file)}`];
  if (f.line > 0) props.push(`line=${f.line}`, `col=${f.col}`);
  const pointer = f.pointer !== undefined && f.pointer !== '' ? ` (${f.pointer})` : '';
  return `::${f.severity} ${props.join(',')}::${escapeData(f.message + pointer)}`;
}

export function toPointer(path: ReadonlyArray<string | number>): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

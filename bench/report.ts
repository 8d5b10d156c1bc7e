/** One benchmark row, the growth of a series, and the Markdown that shows them. */
import type { ProfileLine, Stats } from './measure';

export type Group = 'config' | 'plan' | 'drift' | 'read' | 'apply' | 'emulator' | 'startup' | 'terraform';

export interface Row {
  group: Group;
  name: string;
  /** Connections in the file or on the nodes. */
  size?: number;
  /** Absent for a row that is pending (not measured yet). */
  figure?: Stats & { rssMiB?: number; cpuMs?: number };
  /** What the figure is compared with: a lower bound, or a peer measured in the same run. */
  bound?: { ms: number; label: string };
  target?: { label: string; ok: boolean };
  requests?: number;
  /** 429 answers of the nodes during the row. */
  throttled?: number;
  note?: string;
  /** Where the time of a row that misses its target goes (one profiled run). */
  profile?: ProfileLine[];
}

export interface Growth {
  series: string;
  /** By size: median ms, and peak RSS where measured. */
  points: { size: number; ms: number; rssMiB?: number }[];
  /** Marginal ms per 1000 connections between consecutive sizes. */
  marginalMsPer1000: number[];
  linear: boolean;
  /** Where the time goes at the largest size, when the growth is not linear. */
  profile?: ProfileLine[];
}

/**
 * Linear (or better) when the cost of each further 1000 connections stays within 1.5× of the
 * average cost per 1000 at the smallest size (fixed costs make the smallest size the dearest).
 */
export function growth(series: string, points: Growth['points']): Growth {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  const marginal: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    marginal.push(((b.ms - a.ms) / (b.size - a.size)) * 1000);
  }
  const first = sorted[0];
  const average = first ? (first.ms / first.size) * 1000 : 0;
  const linear = marginal.every((m) => m <= average * 1.5);
  return { series, points: sorted, marginalMsPer1000: marginal, linear };
}

const ms = (v: number | undefined): string =>
  v === undefined ? '' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v.toFixed(v < 10 ? 1 : 0);

export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| benchmark | connections | median ms | min–max ms | CPU ms | bound or peer (ms) | × | peak RSS MiB | requests (429) | target |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const f = r.figure;
    const ratio = f && r.bound && r.bound.ms > 0 ? (f.medianMs / r.bound.ms).toFixed(2) : '';
    lines.push(
      [
        `${r.group}: ${r.name}${r.note ? ` (${r.note})` : ''}`,
        r.size?.toLocaleString('en-US') ?? '',
        f ? ms(f.medianMs) : 'pending',
        f ? `${ms(f.minMs)}–${ms(f.maxMs)}` : '',
        ms(f?.cpuMs),
        r.bound ? `${ms(r.bound.ms)} ${r.bound.label}` : '',
        ratio,
        f?.rssMiB !== undefined ? f.rssMiB.toFixed(0) : '',
        r.requests !== undefined ? `${r.requests}${r.throttled ? ` (${r.throttled})` : ''}` : '',
        r.target ? `${r.target.ok ? '✅' : '❌'} ${r.target.label}` : '',
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    );
  }
  return lines.join('\n');
}

/** The profiles of rows that missed their target. */
export function markdownProfiles(rows: readonly Row[]): string {
  const out: string[] = [];
  for (const r of rows) {
    if (!r.profile) continue;
    out.push(
      `- ${r.group}: ${r.name}${r.size ? `, ${r.size.toLocaleString('en-US')} connections` : ''}:`,
      '',
      '  ```text',
    );
    for (const p of r.profile)
      out.push(`  ${p.selfMs.toFixed(0).padStart(6)} ms ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.fn}`);
    out.push('  ```');
  }
  return out.join('\n');
}

export function markdownGrowth(series: readonly Growth[]): string {
  const out: string[] = [];
  for (const g of series) {
    const points = g.points
      .map(
        (p) =>
          `${p.size.toLocaleString('en-US')}: ${p.ms >= 10_000 ? ms(p.ms) : `${ms(p.ms)} ms`}${p.rssMiB ? `, ${p.rssMiB.toFixed(0)} MiB` : ''}`,
      )
      .join(' → ');
    const marginal = g.marginalMsPer1000.map((m) => m.toFixed(0)).join(', ');
    out.push(
      `- **${g.series}**: ${points}; ms per 1000 more: ${marginal} — ${g.linear ? 'linear' : '**not linear**'}`,
    );
    if (g.profile) {
      out.push(
        '',
        '  ```text',
        ...g.profile.map(
          (p) =>
            `  ${p.selfMs.toFixed(0).padStart(6)} ms ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.fn}`,
        ),
        '  ```',
      );
    }
  }
  return out.join('\n');
}

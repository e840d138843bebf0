// Plain-text tables for the bench report.

export type Align = 'left' | 'right';

/** Renders rows under a header, columns padded to their widest cell; `align` per column (default left). */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (align[c] === 'right' ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join(' | ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(fmt)];
}

/** A number with `digits` significant-looking decimals: 1234 -> "1234", 12.34 -> "12.3", 1.234 -> "1.23". */
export function num(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  const decimals = a >= 10 ** (digits - 1) ? 0 : Math.max(0, digits - 1 - Math.floor(Math.log10(Math.max(a, 1e-9))));
  return x.toFixed(Math.min(decimals, 3));
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

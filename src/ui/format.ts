// Small text formatters shared by the views.

/** Bytes as crash prints memory sizes: "191.5 MB", "15.9 GB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1).replace(/\.0$/, '')} ${units[u]}`;
}

/** Figures as the dashboard shows them. */

/** `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`, `3d 04h`; `–` for none. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** An ISO time as `2026-12-06 07:15:02` (UTC; the page says so once). */
export function time(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 19);
}

export function tokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  return n >= 10_000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}K` : String(n);
}

export function usd(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : `$${n.toFixed(n < 1 ? 4 : 2)}`;
}

export function percent(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : `${Math.round(n * 10) / 10}%`;
}

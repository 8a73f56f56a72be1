import { html, type Html } from '../html';

/** The pages of the dashboard, in the order of its navigation. */
export const PAGES = [
  { id: 'runs', path: '/dashboard', label: 'Runs' },
  { id: 'agents', path: '/dashboard/agents', label: 'Agents' },
  { id: 'queue', path: '/dashboard/queue', label: 'Queue' },
  { id: 'inbox', path: '/dashboard/inbox', label: 'Approvals' },
  { id: 'escalations', path: '/dashboard/escalations', label: 'Escalations' },
  { id: 'conflicts', path: '/dashboard/conflicts', label: 'Conflicts' },
] as const;
export type PageId = (typeof PAGES)[number]['id'] | 'run' | 'audit';

/** Who is looking, and what their roles let them do (the API checks again on every action). */
export interface Viewer {
  readonly id: string;
  readonly roles: readonly string[];
  readonly mayOperate: boolean;
  readonly mayApprove: boolean;
}

export interface PageOptions {
  readonly title: string;
  readonly page: PageId;
  readonly viewer: Viewer;
  /** Event categories whose events redraw the page, and the run they must belong to. */
  readonly live: { readonly topics: readonly string[]; readonly runId?: string };
}

/** The whole document around a page's main content. */
export function layout(options: PageOptions, main: Html): Html {
  const current = options.page === 'run' || options.page === 'audit' ? 'runs' : options.page;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Baton</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/dashboard.js" defer></script>
</head>
<body data-live-topics="${options.live.topics.join(',')}" data-live-run="${options.live.runId ?? ''}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/dashboard">Baton</a>
  <nav aria-label="Dashboard">
    <ul>${PAGES.map((p) => html`<li><a href="${p.path}"${p.id === current ? html` aria-current="page"` : ''}>${p.label}</a></li>`)}</ul>
  </nav>
  <div class="who">
    <span>${options.viewer.id} <span class="roles">(${options.viewer.roles.join(', ') || 'no role'})</span></span>
    <form method="post" action="/dashboard/logout" data-action="logout"><button type="submit">Sign out</button></form>
  </div>
</header>
<p class="live" id="live-status" role="status" aria-live="polite">Connecting to live updates…</p>
<p class="notice" id="action-status" role="status" aria-live="polite"></p>
<main id="main" tabindex="-1">
${main}
</main>
<footer class="foot"><p>Times are UTC. Live from the event stream; no reload needed.</p></footer>
</body>
</html>`;
}

/** A page's main content alone (what the page's script fetches to redraw it). */
export function fragment(main: Html): Html {
  return main;
}

/** A status as a coloured badge, its word always shown (colour is never the only cue). */
export function badge(status: string): Html {
  return html`<span class="badge st-${status.replace(/[^a-z_]/g, '')}">${status.replace(/_/g, ' ')}</span>`;
}

/** A section that says a part could not be loaded, instead of failing the whole page. */
export function unavailable(what: string, err: unknown): Html {
  const message = err instanceof Error ? err.message : String(err);
  return html`<p class="unavailable" role="note">${what} unavailable: ${message}</p>`;
}

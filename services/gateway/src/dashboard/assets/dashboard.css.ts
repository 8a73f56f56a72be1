/** The dashboard's one stylesheet (served from /dashboard/assets, so the page's CSP allows only 'self'). */
export const DASHBOARD_CSS = `
:root { --bg:#f7f7f8; --fg:#1b1d21; --muted:#5b606b; --line:#d5d8de; --card:#fff; --focus:#1a56db;
  --pending:#e5e7eb; --pending-fg:#374151; --running:#dbeafe; --running-fg:#1e3a8a; --awaiting:#fef3c7; --awaiting-fg:#78350f;
  --success:#dcfce7; --success-fg:#14532d; --failure:#fee2e2; --failure-fg:#7f1d1d; --skipped:#f3f4f6; --skipped-fg:#4b5563; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); overflow-wrap:anywhere; }
a { color:#1d4ed8; }
code { font-size:.9em; }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
.skip { position:absolute; left:-999px; top:0; background:#fff; padding:.5rem; z-index:10; }
.skip:focus { left:.5rem; }
.sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
.top { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1.25rem; padding:.6rem 1rem; background:#111827; color:#f9fafb; }
.top a { color:#f9fafb; }
.brand { font-weight:700; text-decoration:none; font-size:1.1rem; }
.top nav ul { display:flex; flex-wrap:wrap; gap:.25rem .9rem; list-style:none; margin:0; padding:0; }
.top nav a { text-decoration:none; padding:.2rem .1rem; }
.top nav a[aria-current="page"] { border-bottom:2px solid #93c5fd; }
.who { margin-left:auto; display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; font-size:.9rem; }
.who form { margin:0; }
.roles { color:#cbd5e1; }
main { padding:1rem; max-width:1400px; margin:0 auto; }
h1 { font-size:1.5rem; margin:.3rem 0 1rem; }
h2 { font-size:1.15rem; margin:1.2rem 0 .5rem; }
h3 { font-size:1rem; margin:0; }
.muted { color:var(--muted); }
.live, .notice { margin:0; padding:.25rem 1rem; font-size:.85rem; color:var(--muted); }
.notice:empty { display:none; }
.notice.error, p.error { color:var(--failure-fg); }
.foot { padding:1rem; color:var(--muted); font-size:.85rem; text-align:center; }
button, .button { font:inherit; padding:.4rem .8rem; border-radius:6px; border:1px solid #1e40af; background:#1d4ed8; color:#fff; cursor:pointer; text-decoration:none; display:inline-block; min-height:2.25rem; }
button.secondary, .who button { background:#fff; color:#1e3a8a; border-color:#93a3c0; }
input, select, textarea { font:inherit; padding:.35rem .5rem; border:1px solid #8b93a1; border-radius:6px; max-width:100%; background:#fff; }
label { display:inline-flex; flex-direction:column; gap:.15rem; font-size:.9rem; margin:.25rem .75rem .25rem 0; }
.filters { display:flex; flex-wrap:wrap; align-items:flex-end; gap:.25rem; margin-bottom:.75rem; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; font-weight:600; border:1px solid rgba(0,0,0,.12); white-space:nowrap; }
.st-pending, .st-queued { background:var(--pending); color:var(--pending-fg); }
.st-running, .st-assigned, .st-accepted, .st-busy, .st-open, .st-paused { background:var(--running); color:var(--running-fg); }
.st-awaiting_approval, .st-blocked { background:var(--awaiting); color:var(--awaiting-fg); }
.st-success, .st-succeeded, .st-completed, .st-accepted_handoff, .st-available, .st-resolved, .st-accepted { background:var(--success); color:var(--success-fg); }
.st-failure, .st-failed, .st-rejected, .st-error, .st-cancelled, .st-offline { background:var(--failure); color:var(--failure-fg); }
.st-skipped { background:var(--skipped); color:var(--skipped-fg); border-style:dashed; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:.85rem; color:var(--muted); }
tr.current { outline:2px solid var(--focus); }
.tiles ul, .agents, .conflicts, .inbox { list-style:none; padding:0; margin:0; }
.tiles ul { display:grid; grid-template-columns:repeat(auto-fit, minmax(12rem, 1fr)); gap:.6rem; }
.tile { background:var(--card); border:1px solid var(--line); border-left:6px solid var(--pending-fg); border-radius:8px; padding:.6rem .8rem; display:flex; flex-direction:column; }
.tile-met { border-left-color:#16a34a; } .tile-missed { border-left-color:#dc2626; }
.tile-value { font-size:1.5rem; font-weight:700; }
.tile-label, .tile-target { font-size:.85rem; color:var(--muted); }
.summary { display:grid; grid-template-columns:repeat(auto-fit, minmax(10rem, 1fr)); gap:.5rem; margin:0 0 1rem; }
.summary div { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.5rem .7rem; }
.summary dt { font-size:.8rem; color:var(--muted); } .summary dd { margin:0; font-weight:600; }
.legend .badge { margin-right:.3rem; }
.graph { list-style:none; padding:0; margin:0; display:grid; grid-template-columns:repeat(auto-fill, minmax(17rem, 1fr)); gap:1.4rem .8rem; counter-reset:stage; }
.node { position:relative; border:2px solid rgba(0,0,0,.18); border-radius:10px; padding:.6rem .75rem; counter-increment:stage; }
.node::before { content:counter(stage); position:absolute; top:-.7rem; left:.6rem; background:var(--bg); padding:0 .3rem; font-size:.75rem; color:var(--muted); }
.node.st-running { border-color:#2563eb; box-shadow:0 0 0 3px rgba(37,99,235,.15); }
.node.st-awaiting_approval { border-color:#d97706; }
.node.st-skipped { border-style:dashed; opacity:.85; }
.node-head { display:flex; justify-content:space-between; align-items:center; gap:.5rem; }
.kind { margin:.2rem 0; font-size:.85rem; font-weight:600; }
.facts { display:grid; grid-template-columns:auto 1fr; gap:.1rem .6rem; margin:.4rem 0; font-size:.9rem; }
.facts dt { color:var(--muted); } .facts dd { margin:0; }
.branches { list-style:none; padding:0; margin:.3rem 0; display:flex; flex-direction:column; gap:.25rem; }
.branch { border-radius:6px; padding:.2rem .4rem; font-size:.85rem; border-left:4px solid rgba(0,0,0,.25); }
.edges { font-size:.85rem; padding-left:1.1rem; margin:.3rem 0; }
.edges .loop { font-weight:600; }
.failures { font-size:.85rem; color:var(--failure-fg); }
.progress { display:flex; align-items:center; gap:.5rem; font-size:.85rem; flex-wrap:wrap; }
progress { width:10rem; max-width:100%; height:.9rem; }
.agents { display:grid; grid-template-columns:repeat(auto-fill, minmax(19rem, 1fr)); gap:.8rem; }
.agent, .conflict, .escalation, .approval { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.7rem .8rem; }
.agent h2, .conflict h2 { margin:0; font-size:1rem; }
.tasks { list-style:none; padding:0; margin:.4rem 0 0; display:flex; flex-direction:column; gap:.4rem; }
.task-id { display:block; font-size:.9rem; }
.inbox { display:flex; flex-direction:column; gap:.5rem; margin-bottom:.6rem; }
.approval input[type=checkbox] { width:1.2rem; height:1.2rem; vertical-align:middle; }
fieldset { border:1px solid var(--line); border-radius:8px; }
.escalation { margin-bottom:.8rem; }
.format { display:grid; grid-template-columns:auto 1fr; gap:.25rem .8rem; }
.format dt { font-weight:700; } .format dt::after { content:":"; } .format dd { margin:0; } .format ol { margin:0; padding-left:1.2rem; }
.unavailable { background:var(--awaiting); color:var(--awaiting-fg); padding:.4rem .6rem; border-radius:6px; }
.replay { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.5rem .8rem; margin-bottom:1rem; }
.replay-stages { display:flex; flex-wrap:wrap; gap:.4rem; list-style:none; padding:0; }
.replay-stages li { padding:.2rem .45rem; border-radius:6px; }
.decide, .rerun, .resolve { margin:.4rem 0; }
body.login main { max-width:28rem; }
body.login form { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.8rem 1rem; margin-bottom:1rem; }
body.login label { display:flex; margin-right:0; }
/* Phone width: tables become one card per row, each cell labelled, so nothing scrolls sideways. */
@media (max-width: 760px) {
  .who { margin-left:0; }
  table.cards thead { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display:block; width:100%; }
  table.cards tr { border:1px solid var(--line); border-radius:8px; margin-bottom:.6rem; background:var(--card); }
  table.cards td { border:0; padding:.2rem .6rem; display:grid; grid-template-columns:6.5rem 1fr; gap:.5rem; }
  table.cards td::before { content:attr(data-label); color:var(--muted); font-size:.85rem; }
  .graph, .agents { grid-template-columns:1fr; }
}
`;

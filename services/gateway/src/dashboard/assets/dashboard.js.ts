/**
 * The dashboard's one script: it keeps the page live (an EventSource on /dashboard/events; on a
 * relevant event, the page's main content is fetched again and swapped in, keeping what the person
 * was typing and where their focus was) and sends the forms' actions to the REST API as JSON,
 * with the dashboard's header (the session cookie is accepted only with it) and an
 * Idempotency-Key. No framework, no build step.
 */
export const DASHBOARD_JS = String.raw`(() => {
  'use strict';
  const HEADERS = { 'X-Baton-Dashboard': '1' };
  const say = (text, isError) => {
    const el = document.getElementById('action-status');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle('error', Boolean(isError));
  };
  const newKey = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + '-' + Math.random().toString(36).slice(2));

  async function post(path, body) {
    const res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: Object.assign({ 'Content-Type': 'application/json', 'Idempotency-Key': newKey() }, HEADERS),
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const err = new Error((data && (data.detail || data.title)) || ('HTTP ' + res.status));
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function fieldsOf(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.type === 'submit' || el.type === 'checkbox' || el.disabled) continue;
      if (el.value !== '') out[el.name] = el.value;
    }
    return out;
  }

  // Live updates -------------------------------------------------------------------------
  const main = document.getElementById('main');
  const body = document.body;
  const topics = body.dataset.liveTopics;
  let version = 0;
  let inFlight = false;
  let again = false;
  let timer = null;

  const keyOf = (el) => (el.closest('form') ? el.closest('form').getAttribute('aria-label') || '' : '') + '|' + el.name + '|' + (el.type === 'checkbox' ? el.value : '');
  function snapshot() {
    const values = new Map();
    for (const el of main.querySelectorAll('input, select, textarea')) {
      if (el.name) values.set(keyOf(el), el.type === 'checkbox' ? el.checked : el.value);
    }
    const active = document.activeElement && main.contains(document.activeElement) ? document.activeElement : null;
    return { values, focus: active ? (active.id ? '#' + active.id : active.name ? keyOf(active) : null) : null, open: [...main.querySelectorAll('details[open]')].map((d) => d.querySelector('summary') ? d.querySelector('summary').textContent : '') };
  }
  function restore(s) {
    for (const el of main.querySelectorAll('input, select, textarea')) {
      if (!el.name || !s.values.has(keyOf(el)) || el.type === 'hidden') continue;
      if (el.type === 'checkbox') el.checked = s.values.get(keyOf(el));
      else el.value = s.values.get(keyOf(el));
    }
    for (const d of main.querySelectorAll('details')) {
      const sum = d.querySelector('summary');
      if (sum && s.open.some((t) => t.split(':')[0] === sum.textContent.split(':')[0])) d.open = true;
    }
    if (s.focus) {
      const el = s.focus.startsWith('#') ? document.getElementById(s.focus.slice(1)) : [...main.querySelectorAll('input, select, textarea, button')].find((x) => x.name && keyOf(x) === s.focus);
      if (el) el.focus({ preventScroll: true });
    }
  }

  async function refresh() {
    if (!main || !topics) return;
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const url = new URL(location.href);
      url.searchParams.set('fragment', '1');
      const res = await fetch(url, { credentials: 'same-origin', headers: HEADERS });
      if (res.status === 401) { location.assign('/dashboard/login?next=' + encodeURIComponent(location.pathname + location.search)); return; }
      if (!res.ok) return;
      const text = await res.text();
      const s = snapshot();
      main.innerHTML = text;
      restore(s);
      version += 1;
      body.dataset.liveVersion = String(version);
    } finally {
      inFlight = false;
      if (again) { again = false; schedule(); }
    }
  }
  function schedule() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; refresh(); }, 250);
  }

  if (main && topics) {
    const live = document.getElementById('live-status');
    const q = new URLSearchParams({ topics });
    if (body.dataset.liveRun) q.set('runId', body.dataset.liveRun);
    const source = new EventSource('/dashboard/events?' + q.toString());
    source.addEventListener('open', () => {
      if (live) live.textContent = 'Live: updates as events happen.';
      body.dataset.live = 'open';
      // Anything that happened between this page's rendering and now.
      schedule();
    });
    source.addEventListener('baton', () => schedule());
    source.addEventListener('error', () => {
      body.dataset.live = 'reconnecting';
      if (live) live.textContent = 'Live updates interrupted; reconnecting…';
    });
  }

  // Actions ---------------------------------------------------------------------------------
  const actions = {
    async logout() {
      await post('/dashboard/logout', {});
      location.assign('/dashboard/login');
    },
    async 'login-password'(form) {
      const f = fieldsOf(form);
      const res = await fetch('/dev-issuer/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: f.username, password: f.password }) });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.detail || 'sign-in failed');
      await post('/dashboard/session', { token: data.access_token });
      location.assign(form.dataset.next || '/dashboard');
    },
    async 'login-token'(form) {
      await post('/dashboard/session', { token: fieldsOf(form).token.trim() });
      location.assign(form.dataset.next || '/dashboard');
    },
    async decide(form, submitter) {
      const decision = submitter && submitter.value === 'reject' ? 'reject' : 'approve';
      await post(form.dataset.base + '/' + decision, { reason: fieldsOf(form).reason });
      say((decision === 'approve' ? 'Approved ' : 'Rejected ') + form.getAttribute('aria-label').replace(/^Decide on /, '') + '.');
      await refresh();
    },
    async inbox(form, submitter) {
      const decision = submitter && submitter.value === 'reject' ? 'reject' : 'approve';
      const picked = [...form.querySelectorAll('input[name=item]:checked')].map((c) => c.value);
      if (picked.length === 0) { say('Select at least one stage.', true); return; }
      const reason = fieldsOf(form).reason;
      const failed = [];
      for (const item of picked) {
        const slash = item.indexOf('/');
        const runId = item.slice(0, slash);
        const stageId = item.slice(slash + 1);
        try {
          await post('/api/runs/' + encodeURIComponent(runId) + '/stages/' + encodeURIComponent(stageId) + '/' + decision, { reason });
        } catch (e) {
          failed.push(stageId + ' of ' + runId + ': ' + e.message);
        }
      }
      const done = picked.length - failed.length;
      say((decision === 'approve' ? 'Approved ' : 'Rejected ') + done + ' of ' + picked.length + '.' + (failed.length ? ' Not done: ' + failed.join('; ') : ''), failed.length > 0);
      await refresh();
    },
    async api(form) {
      await post(form.dataset.path, fieldsOf(form));
      say('Done: ' + (form.getAttribute('aria-label') || 'saved') + '.');
      await refresh();
    },
    async rerun(form) {
      const f = fieldsOf(form);
      const reply = await post('/dashboard/actions/rerun', { runId: f.runId, fromStage: f.fromStage });
      location.assign('/dashboard/runs/' + encodeURIComponent(reply.runId));
    },
  };

  document.addEventListener('submit', async (e) => {
    const form = e.target;
    const name = form && form.dataset ? form.dataset.action : undefined;
    if (!name || !actions[name]) return;
    e.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    say('Working…');
    try {
      await actions[name](form, e.submitter);
    } catch (err) {
      say(err.status === 403 ? 'Not allowed: ' + err.message : err.message, true);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
})();
`;

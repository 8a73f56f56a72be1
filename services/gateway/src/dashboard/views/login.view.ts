import { html, type Html } from '../html';

/**
 * The sign-in page. With the built-in issuer (one machine), a user name and password get a token
 * from it; with any issuer, a token (`baton login` prints one) can be pasted. Either way the page
 * hands the token to `/dashboard/session`, which checks it as the API would and keeps it in an
 * HttpOnly cookie.
 */
export function loginPage(options: { readonly devIssuer: boolean; readonly next: string; readonly message?: string }): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Baton</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/dashboard.js" defer></script></head>
<body class="login">
<main id="main">
<h1>Sign in to Baton</h1>
<p class="notice" id="action-status" role="status" aria-live="polite">${options.message ?? ''}</p>
${
  options.devIssuer
    ? html`<form data-action="login-password" data-next="${options.next}" aria-labelledby="pw-h">
<h2 id="pw-h">With the local issuer</h2>
<p class="muted">On one machine, the users are admin, operator, approver and viewer; their password is in <code>.baton/issuer/dev-password</code>.</p>
<label>User name <input name="username" required autocomplete="username" autocapitalize="none"></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>`
    : ''
}
<form data-action="login-token" data-next="${options.next}" aria-labelledby="tok-h">
<h2 id="tok-h">With a token</h2>
<p class="muted">A bearer token your identity provider issued for this gateway.</p>
<label>Token <textarea name="token" required rows="3" autocomplete="off" spellcheck="false"></textarea></label>
<button type="submit">Sign in with the token</button>
</form>
</main>
</body>
</html>`;
}

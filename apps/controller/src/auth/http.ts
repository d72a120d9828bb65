/**
 * The HTTP side of access control, mounted before every route: /login and
 * /logout, then the check. The API and /metrics answer 401 with the stable
 * code UNAUTHENTICATED; a browser asking for a dashboard page gets the
 * sign-in page instead. Only the probes (/health, /health/live: ok or not,
 * no detail) answer without the token.
 */
import { VirtnetError } from '@virtnet/shared';
import type { NextFunction, Request, Response } from 'express';
import { COOKIE_NAME, type AuthService } from './auth.service.js';

const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000;

/** Routes a prober without the token may reach (system.controller.ts). */
export const PROBES = new Set(['/health', '/health/live']);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained page (no script): the dashboard's bundle is only served after sign-in. */
export function signInPage(message: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>virtnet · sign in</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:light-dark(#f8fafc,#0b1120);color:light-dark(#0f172a,#e2e8f0)}
main{width:min(30rem,92vw);border:1px solid light-dark(#e2e8f0,#23304d);border-radius:8px;padding:1.5rem;background:light-dark(#fff,#111a2e)}
h1{font-size:1.1rem;margin:0 0 .75rem}code{font-family:ui-monospace,monospace;background:light-dark(#f1f5f9,#18233b);padding:.1rem .3rem;border-radius:4px}
input{width:100%;box-sizing:border-box;padding:.45rem .6rem;font:inherit;font-family:ui-monospace,monospace;border:1px solid light-dark(#cbd5e1,#23304d);border-radius:6px;background:inherit;color:inherit}
button{margin-top:.75rem;padding:.45rem .9rem;font:inherit;border:0;border-radius:6px;background:light-dark(#15803d,#4ade80);color:light-dark(#fff,#052e16);cursor:pointer}
.err{color:light-dark(#b91c1c,#f87171)}p{margin:.5rem 0}
</style></head>
<body><main>
<h1>virtnet dashboard</h1>
<p>This controller needs its access token. On the controller's machine, run <code>npx virtnet dashboard</code> and open the <code>login_url</code> it prints, or paste the token (<code>$VIRTNET_HOME/token</code>) here.</p>
${message ? `<p class="err" id="sign-in-error" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="get" action="/login"><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form>
</main></body></html>
`;
}

function unauthenticated(res: Response, why: string): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="virtnet"');
  res.status(401).json(new VirtnetError('UNAUTHENTICATED', why).toBody());
}

export function authMiddleware(auth: AuthService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path === '/login' && req.method === 'GET') {
      if (!auth.enabled) return res.redirect(303, '/');
      const token = typeof req.query['token'] === 'string' ? req.query['token'] : undefined;
      if (token === undefined) {
        res.status(200).type('html').send(signInPage(null));
        return;
      }
      if (!auth.check(token)) {
        res.status(401).type('html').send(signInPage('That is not this controller’s access token.'));
        return;
      }
      // SameSite=Strict: another site cannot make the browser send it (no CSRF).
      res.cookie(COOKIE_NAME, token, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: THIRTY_DAYS_MS });
      // Off the address bar and out of the history.
      return res.redirect(303, '/');
    }
    if (req.path === '/logout') {
      res.clearCookie(COOKIE_NAME, { path: '/' });
      return res.redirect(303, '/login');
    }
    if (req.method === 'GET' && PROBES.has(req.path)) return next();
    const given = auth.fromRequest(req);
    if (auth.check(given)) return next();
    const why = given ? 'the access token is wrong' : 'an access token is required: Authorization: Bearer <token> (virtnet dashboard prints it)';
    if (req.path.startsWith('/api/') || req.path === '/metrics' || req.method !== 'GET') return unauthenticated(res, why);
    res.status(401).type('html').send(signInPage(given ? 'Your sign-in is no longer valid (the token changed).' : null));
  };
}

/**
 * Who may use the HTTP API, the WebSocket and the dashboard: whoever shows
 * the access token, as `Authorization: Bearer <token>`, as the dashboard's
 * cookie (set by /login), or, on the WebSocket only, as `?token=`.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { parse as parseCookies } from 'cookie';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { loadOrCreateToken } from './token.js';

export const COOKIE_NAME = 'virtnet_token';

const digest = (s: string) => createHash('sha256').update(s).digest();

@Injectable()
export class AuthService {
  private readonly log = new Logger('auth');
  readonly enabled: boolean;
  readonly token: string;
  private readonly expected: Buffer;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.enabled = settings.auth.enabled;
    const loaded = loadOrCreateToken(settings.auth.tokenPath, settings.auth.token);
    this.token = loaded.token;
    this.expected = digest(loaded.token);
    if (loaded.source === 'created') this.log.log(`access token created in ${settings.auth.tokenPath} (mode 0600)`);
    if (loaded.tightened) this.log.warn(`${settings.auth.tokenPath} was readable by others; it is owner-only now`);
    if (!this.enabled) this.log.warn('authentication is off (VIRTNET_AUTH=off): anyone on this machine can use the API');
  }

  /** Constant-time comparison (of digests, so lengths do not leak either). */
  check(candidate: string | undefined): boolean {
    if (!this.enabled) return true;
    if (!candidate) return false;
    return timingSafeEqual(digest(candidate), this.expected);
  }

  /** The token a request carries: bearer header first, then the cookie, then (if allowed) ?token=. */
  fromRequest(req: IncomingMessage, allowQuery = false): string | undefined {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return header.slice(7).trim();
    const cookie = req.headers.cookie ? parseCookies(req.headers.cookie)[COOKIE_NAME] : undefined;
    if (cookie) return cookie;
    if (allowQuery && req.url) return new URL(req.url, 'http://x').searchParams.get('token') ?? undefined;
    return undefined;
  }

  allows(req: IncomingMessage, allowQuery = false): boolean {
    return this.check(this.fromRequest(req, allowQuery));
  }

  /** The dashboard's address, known once the server listens (bootstrap sets it). */
  baseUrl = '';

  /** The URL that signs a browser in, for a dashboard at `base`. */
  loginUrl(base: string = this.baseUrl): string {
    return this.enabled ? `${base}login?token=${encodeURIComponent(this.token)}` : base;
  }

  dashboard(): { url: string; login_url: string; auth: boolean } {
    return { url: this.baseUrl, login_url: this.loginUrl(), auth: this.enabled };
  }
}

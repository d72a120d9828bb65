/**
 * The WebSocket adapter with the token check at the upgrade: a client
 * without the token gets HTTP 401 and a JSON body with the code
 * UNAUTHENTICATED, and no socket. Browsers send the dashboard's cookie;
 * other clients send the bearer header or ?token=.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { VirtnetError } from '@virtnet/shared';
import type { IncomingMessage } from 'node:http';
import type { AuthService } from './auth.service.js';

type Verify = (info: { req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string, headers?: Record<string, string>) => void) => void;

export class AuthWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly auth: AuthService,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}): any {
    const verifyClient: Verify = ({ req }, done) => {
      if (this.auth.allows(req, true)) return done(true);
      const body = JSON.stringify(new VirtnetError('UNAUTHENTICATED', 'an access token is required (cookie, bearer header or ?token=)').toBody());
      done(false, 401, body, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="virtnet"' });
    };
    return super.create(port, { ...options, verifyClient });
  }
}

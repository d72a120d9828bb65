/**
 * The access token of the HTTP API, the WebSocket and the dashboard. Made at
 * first start (32 random bytes, base64url) and kept in $VIRTNET_HOME/token,
 * readable by the controller's user only; VIRTNET_TOKEN overrides it.
 * Delete the file and restart to rotate it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';

export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;

export class TokenFileError extends Error {}

export interface LoadedToken {
  token: string;
  /** Where it came from: the file (created now or earlier) or the environment. */
  source: 'created' | 'file' | 'env';
  /** Set when the file was readable by others and has been made owner-only. */
  tightened?: boolean;
}

export function loadOrCreateToken(path: string, fromEnv: string | null): LoadedToken {
  if (fromEnv) return { token: fromEnv, source: 'env' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new TokenFileError(`cannot read the token file ${path}: ${(e as Error).message}`);
    const token = randomBytes(32).toString('base64url');
    // 'wx': never overwrite a token another process wrote meanwhile.
    writeFileSync(path, token + '\n', { mode: 0o600, flag: 'wx' });
    return { token, source: 'created' };
  }
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token))
    throw new TokenFileError(`the token file ${path} does not hold a token (16 to 256 characters of A-Z a-z 0-9 . _ ~ -); delete it to have a new one made`);
  let tightened = false;
  if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    tightened = true;
  }
  return { token, source: 'file', tightened };
}

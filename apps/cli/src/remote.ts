/**
 * The CLI against a controller on another machine: each request is POSTed
 * to <controller>/api/v1/rpc with the access token as a bearer header, over
 * HTTPS (plain HTTP only to a loopback address: the token must not cross a
 * network in clear). The answer is the socket's JSON-RPC answer, so every
 * command prints the same and exits the same.
 *
 * Failures before an answer have their own codes: CERTIFICATE_UNTRUSTED
 * when the controller's certificate does not check out against the CA
 * given (or the system's), DAEMON_UNREACHABLE when no connection or answer
 * comes; both exit 3. A refused token is the controller's UNAUTHENTICATED
 * (exit 1).
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '@virtnet/shared/errors';
import type { Exchange, RpcResponse } from './client.js';
import { CliError } from './exit.js';
import { readText } from './files.js';

export interface RemoteTarget {
  /** The controller's base URL, e.g. https://dpu7:8780 */
  url: string;
  tokenFile: string;
  /** PEM bundle of the CA(s) that signed the controller's certificate; the system's CAs otherwise. */
  caFile?: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Node's names for a certificate that does not check out (see tls.TLSSocket and X509 verify errors). */
function isCertificateError(e: NodeJS.ErrnoException): boolean {
  const c = e.code ?? '';
  return c === 'ERR_TLS_CERT_ALTNAME_INVALID' || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(c);
}

/** Checks the target on this side, before anything is sent. */
export function parseTarget(t: RemoteTarget): { url: URL; token: string; ca?: string } {
  let url: URL;
  try {
    url = new URL(t.url);
  } catch {
    throw new CliError('INVALID_ARGUMENT', `--controller: ${t.url} is not a URL (https://HOST:PORT)`, 'controller', true);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError('INVALID_ARGUMENT', `--controller: ${t.url} must be https://HOST:PORT`, 'controller', true);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname))
    throw new CliError('INVALID_ARGUMENT', `--controller: the token would cross the network in clear text to ${url.host}; use https://`, 'controller', true);
  const token = readText(t.tokenFile, 'token_file').trim();
  if (!token) throw new CliError('INVALID_ARGUMENT', `the token file ${t.tokenFile} is empty`, 'token_file', true);
  return { url: new URL('api/v1/rpc', url.href.endsWith('/') ? url.href : `${url.href}/`), token, ...(t.caFile ? { ca: readText(t.caFile, 'ca_file') } : {}) };
}

export function httpsExchange(t: RemoteTarget, timeoutMs: number): Exchange {
  const { url, token, ca } = parseTarget(t);
  return async (request) => {
    // Loaded only by remote calls, so TLS costs a socket call's start-up nothing (and not by import():
    // bin/virtnet.js runs the bundle as a vm script, which has no dynamic import).
    const client = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    const body = JSON.stringify(request);
    const options: RequestOptions & { ca?: string } = {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      ...(ca ? { ca } : {}),
    };
    return new Promise<RpcResponse>((resolve, reject) => {
      const where = url.origin;
      const req: ClientRequest = client.request(url, options, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          clearTimeout(timer);
          try {
            resolve(answer(where, res.statusCode ?? 0, text));
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(new CliError('DAEMON_UNREACHABLE', `the answer from ${where} broke off: ${e.message}`));
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new CliError('DAEMON_UNREACHABLE', `no answer from the controller at ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (isCertificateError(e))
          reject(new CliError('CERTIFICATE_UNTRUSTED', `the certificate of ${where} is not trusted (${e.code}: ${e.message}); give the CA that signed it with --ca-file`));
        else reject(new CliError('DAEMON_UNREACHABLE', `cannot reach the controller at ${where}: ${e.code ?? e.message}`));
      });
      req.end(body);
    }).catch((e: unknown) => {
      if (e instanceof CliError) throw e;
      throw new CliError('INTERNAL', (e as Error).message);
    });
  };
}

/** A JSON-RPC answer (HTTP 200), or the controller's refusal of the request itself (401, 400, ...). */
function answer(where: string, status: number, text: string): RpcResponse {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError('INTERNAL', `${where} answered HTTP ${status} with no JSON: is it a virtnet controller?`);
  }
  if (status === 200) return body as RpcResponse;
  const err = (body as { error?: { code?: string; message?: string; field?: string } }).error;
  const code = err?.code && err.code in ERROR_CODES ? (err.code as ErrorCode) : 'INTERNAL';
  throw new CliError(code, err?.message ?? `${where} answered HTTP ${status}`, err?.field);
}

// Certificates for tests of HTTPS, made with openssl(1): a CA, a server
// certificate it signs for 127.0.0.1 and localhost, and a second CA that
// signed nothing of ours (what a client holding the wrong CA sees).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function ca(dir, name) {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert);
  return { key, cert };
}

/** Writes the files into `dir`; returns their paths. */
export function makeCertificates(dir) {
  const root = ca(dir, 'test-ca');
  const other = ca(dir, 'other-ca');
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-keyout', key, '-out', csr);
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', csr, '-CA', root.cert, '-CAkey', root.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert);
  return { ca: root.cert, otherCa: other.cert, cert, key };
}

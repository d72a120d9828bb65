/** The sim host's own control socket (vnet-host): one command line in, its JSON answer out. */
import { connect } from 'node:net';
import { join } from 'node:path';

export function hostCommand(home: string, line: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const s = connect(join(home, 'vnet-host.sock'));
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(line + '\n'));
    s.on('data', (c: string) => (buf += c));
    s.on('end', () => resolve(JSON.parse(buf)));
    s.on('error', reject);
  });
}

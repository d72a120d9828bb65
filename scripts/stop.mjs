// `npm stop`: stops what `npm start` left running for a VIRTNET_HOME (default
// ~/.virtnet), in the order that leaves nothing behind: the controller first
// (else it would start a new DPU when the old one goes), then vnet-host, then
// the DPU, which powers off: its vhost-user sockets and representors go too.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const home = process.env.VIRTNET_HOME || join(homedir(), '.virtnet');

function pidOf(file, key) {
  try {
    const text = readFileSync(join(home, file), 'utf8');
    return Number(key ? JSON.parse(text)[key] : text.trim()) || null;
  } catch {
    return null;
  }
}

/** The pid when it is a live process whose command line contains `name`. */
function live(pid, name) {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return null;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name) ? pid : null;
  } catch {
    return null;
  }
}

async function stop(what, pid) {
  if (!pid) {
    console.log(`${what}: not running`);
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (live(pid, '') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (live(pid, '')) {
    process.kill(pid, 'SIGKILL');
    console.log(`${what} (pid ${pid}): did not stop within 15 s, killed`);
  } else console.log(`${what} (pid ${pid}): stopped`);
}

console.log(`stopping what runs for ${home}`);
await stop('controller', live(pidOf('controller.json', 'pid'), 'main.js'));
await stop('vnet-host', live(pidOf('vnet-host.pid'), 'vnet-host'));
await stop('DPU', live(pidOf('dpu.pid'), 'vnet-dpu'));

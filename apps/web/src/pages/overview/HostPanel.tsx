/** The host side (vnet-host, a VM over QMP, or your own front-end) and the map of hot-plug ports, used and free. */
import type { HostStatus } from '@virtnet/shared';
import type { ReactNode } from 'react';
import { Badge, KeyValues, Panel } from '../../components/ui';

export function HostPanel({ host, ports, usedPorts }: { host: HostStatus | null; ports: number; usedPorts: ReadonlySet<number> }) {
  const qemu = host?.qemu;
  // Hot-plug port i is the VM's i-th root port (qemu mode): which of them hold one of our devices in the VM.
  const inVm = new Map<number, { bdf: string; root_port: string }>();
  if (qemu)
    qemu.root_ports.forEach((rp, i) => {
      const p = qemu.plugged.find((x) => x.root_port === rp);
      if (p) inVm.set(i, { bdf: p.bdf, root_port: rp });
    });
  const rows: [string, ReactNode, string][] = !host
    ? []
    : host.mode === 'sim'
      ? [['vnet-host', host.running ? `running, pid ${host.pid}` : 'not running', 'host-vnet-host']]
      : host.mode === 'qemu' && qemu
        ? [
            ['VM', qemu.connected ? 'connected' : 'not connected', 'host-vm'],
            ['Accel', qemu.accel ?? '—', 'host-accel'],
            ['Root ports', qemu.root_ports.length, 'host-root-ports'],
            ['Devices in the VM', qemu.plugged.length, 'host-in-vm'],
            ['QMP socket', <span title={qemu.qmp}>{qemu.qmp}</span>, 'host-qmp'],
          ]
        : [['Front-end', 'your own (sockets only)', 'host-external']];
  return (
    <Panel
      title="Host"
      id="host"
      actions={
        host ? (
          <Badge tone={host.running ? 'ok' : host.mode === 'external' ? 'muted' : 'warn'} id="host-mode">
            {host.mode}
          </Badge>
        ) : null
      }
    >
      {host ? <KeyValues id="host-facts" rows={rows} /> : <p className="text-sm text-muted">Loading…</p>}
      <h3 className="mt-5 mb-2 text-xs font-medium text-muted">Hot-plug ports</h3>
      <ol className="grid grid-cols-8 gap-1.5" aria-label="Hot-plug ports, used and free" id="ports">
        {Array.from({ length: ports }, (_, p) => {
          const used = usedPorts.has(p);
          const vm = inVm.get(p);
          const noRootPort = !!qemu && p >= qemu.root_ports.length;
          const title = `port ${p}: ${used ? 'in use' : 'free'}${vm ? `, in the VM at ${vm.bdf} (${vm.root_port})` : qemu ? (noRootPort ? ', no root port in the VM' : `, ${qemu.root_ports[p]} empty`) : ''}`;
          return (
            <li
              key={p}
              data-port={p}
              data-used={used}
              data-in-vm={qemu ? !!vm : undefined}
              title={title}
              aria-label={title}
              className={`num relative grid h-8 place-items-center rounded border text-xs ${used ? 'border-accent/50 bg-accent/15 text-accent' : 'border-line text-muted'} ${noRootPort ? 'border-dashed opacity-60' : ''}`}
            >
              {p}
              {vm ? <span className="absolute top-0.5 right-0.5 h-1.5 w-1.5 rounded-full bg-accent" aria-hidden /> : null}
            </li>
          );
        })}
      </ol>
      <p className="mt-2 text-xs text-muted">
        {qemu
          ? 'Filled: a device uses the port. Dot: the device is in the VM behind the port\'s root port. Dashed: the VM has no root port for it.'
          : 'Filled: a hot-plugged device uses the port.'}
      </p>
    </Panel>
  );
}

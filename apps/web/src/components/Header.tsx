import type { ControllerInfo } from '@virtnet/shared';
import type { Connection } from '../lib/live';

function ConnectionBadge({ c }: { c: Connection }) {
  const [dot, text] =
    c.state === 'live' ? ['bg-accent', 'live'] : c.state === 'connecting' ? ['bg-warn', 'connecting…'] : ['bg-danger', 'offline, reconnecting'];
  return (
    <span id="connection-state" data-state={c.state} className="inline-flex items-center gap-1.5 rounded-full border border-line px-2.5 py-0.5 text-xs">
      <span className={`h-2 w-2 rounded-full ${dot}`} />
      {text}
    </span>
  );
}

function Stat(props: { label: string; value: string | number; id?: string }) {
  return (
    <div className="rounded-md border border-line bg-panel px-3 py-2">
      <div className="text-xs text-muted">{props.label}</div>
      <div id={props.id} className="num text-lg font-semibold">
        {props.value}
      </div>
    </div>
  );
}

export function Header(props: { controller: ControllerInfo | null; connection: Connection; hotplugUsed: number; deviceCount: number }) {
  const c = props.controller;
  return (
    <header className="border-b border-line bg-panel">
      <div className="mx-auto flex max-w-7xl items-center justify-between px-4 py-3">
        <div className="flex items-baseline gap-3">
          <h1 className="text-lg font-semibold tracking-tight">virtnet</h1>
          <span className="text-sm text-muted">virtio-net device controller</span>
        </div>
        <div className="flex items-center gap-3 text-xs text-muted">
          {c ? <span>v{c.version} · provider {c.provider}</span> : null}
          <ConnectionBadge c={props.connection} />
        </div>
      </div>
      {c ? (
        <div className="mx-auto grid max-w-7xl grid-cols-2 gap-2 px-4 pb-3 sm:grid-cols-3 lg:grid-cols-6">
          <Stat label="Emulation manager" value={c.emulation_manager} />
          <Stat label="Devices" value={props.deviceCount} id="stat-devices" />
          <Stat label="Hot-plug ports used" value={`${props.hotplugUsed} / ${c.max_hotplug_devices}`} id="stat-hotplug" />
          <Stat label="Static PFs · VFs per PF" value={`${c.static_pfs} · ${c.vfs_per_pf}`} />
          <Stat label="Max queues · queue size" value={`${c.max_virt_queues} · ${c.max_queue_size}`} />
          <Stat label="Supported features" value={`${c.supported_features.names.length} bits`} />
        </div>
      ) : null}
    </header>
  );
}

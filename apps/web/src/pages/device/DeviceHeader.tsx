/** The device page's title line: what the device is, its link and driver, and the actions that apply to it. */
import type { Device } from '@virtnet/shared';
import { Link } from 'wouter';
import { buttonClass } from '../../components/Dialog';
import { Badge, ErrorBanner } from '../../components/ui';
import { api } from '../../lib/api';
import { deviceLabel, driverState, isBound } from '../../lib/device';
import { useDialogState } from '../../lib/dialog';
import type { HostSide } from './host-side';

export function DeviceHeader(props: { d: Device; host: HostSide; onModify: () => void; onUnplug: () => void; error: string | null }) {
  const { d, host } = props;
  const drv = driverState(d);
  const action = useDialogState();
  const toggleText = isBound(d) ? 'Unbind host driver' : 'Bind host driver';
  return (
    <>
      <div className="flex flex-wrap items-center gap-3">
        <Link href="/devices" className="text-sm text-muted hover:text-ink">
          ← Devices
        </Link>
        <h1 className="text-lg font-semibold">
          {d.function_type} · {deviceLabel(d)}
        </h1>
        <Badge tone={d.link_status === 'up' ? 'ok' : 'danger'} id="detail-link">
          link {d.link_status}
        </Badge>
        <Badge tone={drv.key === 'ok' ? 'ok' : drv.key === 'failed' ? 'danger' : drv.key === 'probing' ? 'warn' : 'muted'} id="detail-driver">
          {drv.text}
        </Badge>
        <div className="ml-auto flex gap-2">
          {host.canToggleDriver ? (
            <button
              type="button"
              id="detail-host-toggle"
              className={buttonClass.secondary}
              disabled={action.busy}
              onClick={() => void action.submit(() => api.hostAction(d.vuid, isBound(d) ? 'unbind' : 'bind'))}
            >
              {toggleText}
            </button>
          ) : host.noHostDriver ? (
            <button type="button" id="detail-host-toggle" className={buttonClass.secondary} disabled title={host.noHostDriver} aria-describedby="detail-host-unsupported">
              {toggleText}
            </button>
          ) : null}
          <button type="button" id="detail-modify" className={buttonClass.secondary} onClick={props.onModify}>
            Modify…
          </button>
          {d.function_type === 'hotplug PF' ? (
            <button type="button" id="detail-unplug" className={buttonClass.secondary} onClick={props.onUnplug}>
              Unplug…
            </button>
          ) : null}
        </div>
      </div>
      <ErrorBanner message={Object.values(action.errors)[0] ?? props.error} />
    </>
  );
}

/** The emulated DPU as the controller reports it: managers, limits, features. */
import type { ControllerInfo } from '@virtnet/shared';
import { KeyValues, Panel } from '../../components/ui';

export function InventoryPanel({ controller }: { controller: ControllerInfo | null }) {
  return (
    <Panel title="Emulated DPU" id="inventory">
      {controller ? (
        <KeyValues
          rows={[
            ['Emulation manager', controller.emulation_manager],
            ['ib devices', controller.ib_devices.join(', ')],
            ['Provider', controller.provider, 'provider'],
            ['Static PFs', controller.static_pfs],
            ['VFs per PF', controller.vfs_per_pf],
            ['Max devices', controller.max_virt_net_devices],
            ['Max virtqueues', controller.max_virt_queues],
            ['Max queue size', controller.max_queue_size],
            ['Max MTU', controller.max_mtu],
            ['MSI-X (PF · VF)', `${controller.pf_msix} · ${controller.vf_msix}`],
            ['Queue types', controller.supported_virt_queue_types.join(', ')],
            ['Supported features', <span title={controller.supported_features.names.join(' ')}>{controller.supported_features.value} ({controller.supported_features.names.length} bits)</span>],
          ]}
        />
      ) : (
        <p className="text-sm text-muted">Loading…</p>
      )}
    </Panel>
  );
}

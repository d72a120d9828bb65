import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NativeHardware, type Hardware } from '@virtnet/hw';
import { INVENTORY } from './tokens.js';
import type { Inventory } from './inventory.js';

export const HARDWARE = Symbol('HARDWARE');

/** Owns the one hardware context of the process; closes it at shutdown. */
class HardwareLifecycle implements OnApplicationShutdown {
  constructor(@Inject(HARDWARE) private readonly hw: Hardware) {}
  onApplicationShutdown(): void {
    this.hw.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: HARDWARE, inject: [INVENTORY], useFactory: (inv: Inventory): Hardware => new NativeHardware(inv.overrides) },
    HardwareLifecycle,
  ],
  exports: [HARDWARE],
})
export class HardwareModule {}

import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/prisma/client.js';
import { SETTINGS, type Settings } from '../settings/settings.js';

/** The Prisma client over the controller's SQLite file (migrated before Nest starts). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(SETTINGS) settings: Settings) {
    super({ adapter: new PrismaBetterSqlite3({ url: `file:${settings.dbPath}` }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}

// Prisma CLI configuration (prisma generate). The daemon does not read it:
// it opens $VIRTNET_HOME/virtnet.db itself and applies prisma/migrations.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: 'file:./.virtnet/virtnet.db' },
});

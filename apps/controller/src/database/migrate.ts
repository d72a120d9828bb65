/**
 * Applies the committed migrations (prisma/migrations/<name>/migration.sql)
 * that the database has not seen yet, each in its own transaction, and
 * records them in Prisma's own _prisma_migrations table so Prisma's tooling
 * reads the same history. The Prisma CLI's migration engine is a downloaded
 * binary that is not always available, so the daemon does this itself.
 */
import Database from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
  /** Applied migrations whose file changed since: a sign of a hand-edited history. */
  modified: string[];
}

const HISTORY_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "checksum" TEXT NOT NULL,
  "finished_at" DATETIME,
  "migration_name" TEXT NOT NULL,
  "logs" TEXT,
  "rolled_back_at" DATETIME,
  "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
  "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export function listMigrations(dir: string): { name: string; sql: string; checksum: string }[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export function applyMigrations(dbPath: string, dir: string): MigrationReport {
  const db = new Database(dbPath);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(HISTORY_DDL);
    const done = new Map(
      (db.prepare('SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL').all() as {
        migration_name: string;
        checksum: string;
      }[]).map((r) => [r.migration_name, r.checksum]),
    );
    const report: MigrationReport = { applied: [], alreadyApplied: [], modified: [] };
    for (const m of listMigrations(dir)) {
      const seen = done.get(m.name);
      if (seen !== undefined) {
        report.alreadyApplied.push(m.name);
        if (seen !== m.checksum) report.modified.push(m.name);
        continue;
      }
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (?, ?, current_timestamp, ?, 1)`,
        ).run(randomUUID(), m.checksum, m.name);
      })();
      report.applied.push(m.name);
    }
    return report;
  } finally {
    db.close();
  }
}

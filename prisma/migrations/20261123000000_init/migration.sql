-- CreateTable
CREATE TABLE "devices" (
    "vuid" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "pf_id" INTEGER NOT NULL,
    "vf_id" INTEGER,
    "hotplug_port" INTEGER,
    "bdf_raw" INTEGER NOT NULL,
    "ib_device" TEXT NOT NULL,
    "sf_num" INTEGER NOT NULL,
    "mac" TEXT NOT NULL,
    "mtu" INTEGER NOT NULL,
    "num_queues" INTEGER NOT NULL,
    "max_queue_size" INTEGER NOT NULL,
    "num_msix" INTEGER NOT NULL,
    "features" TEXT NOT NULL,
    "transitional" BOOLEAN NOT NULL,
    "event_mode" TEXT NOT NULL DEFAULT 'event',
    "period_us" INTEGER NOT NULL DEFAULT 0,
    "max_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "result" TEXT NOT NULL,
    "error_code" TEXT,
    "detail" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "devices_mac_key" ON "devices"("mac");

-- CreateIndex
CREATE INDEX "audit_events_at_idx" ON "audit_events"("at");

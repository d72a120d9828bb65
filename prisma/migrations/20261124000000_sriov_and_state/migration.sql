-- CreateTable
CREATE TABLE "sriov_state" (
    "pf_id" INTEGER NOT NULL PRIMARY KEY,
    "num_vfs" INTEGER NOT NULL,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "controller_state" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updated_at" DATETIME NOT NULL
);

/* disk.h — a simulated node's disk: the store API (store/backend.h) in
 * memory, with crashes that land in the middle of a write.
 *
 * A sim_disk outlives the stores opened on it, the way a node's disk
 * outlives its process: the simulator opens a store on it at every boot
 * and closes it at every crash. It keeps what the LMDB store keeps —
 * blocks, hash and tx indexes, commits, state, tip, signer state (with
 * the DKG and nonce records), WAL, FROST checkpoints —
 * each value sealed with the same checksummed record header (store/
 * record.h) and checked on every read, so damage is reported exactly as on
 * a real disk (the checksum of a record that can only be damaged by a torn
 * write is made at its first read, from the key it was written under:
 * disk.c, seal), and it keeps the store's contract: a write that returned
 * HANSA_OK is durable (a lazy one once a later synced write or a sync
 * carried it: a crash or a power loss takes it before, sim_disk_crash), a block commit is
 * all or nothing, WAL heights
 * interleave, a damaged WAL record ends its height's log.
 *
 * Durability is the point. Before each write the disk asks its owner what
 * happens to it (sim_disk_fault_fn): nothing, or the node crashes during
 * the write — before the data reached the platter (the write is lost),
 * after (it is durable but the process never learns), or halfway through a
 * WAL append (a torn record whose checksum fails); or the disk is full and
 * the write fails cleanly (HANSA_ERR_FULL, not fatal). A crashed disk fails
 * every later write with HANSA_ERR_IO until it is opened again; the
 * simulator meanwhile swallows everything the dying node still sends. That
 * is how "persist, then release" is tested at its worst moment. */
#ifndef HANSA_SIM_DISK_H
#define HANSA_SIM_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* BLOB: the signer database's DKG and nonce records, apart from the signer
 * state (SIGNER) so that an owner can tell them apart; a crash aimed at
 * SIGNER writes hits both (sim/host.c). */
typedef enum {
    SIM_DISK_SIGNER,
    SIM_DISK_WAL,
    SIM_DISK_BLOCK,
    SIM_DISK_RECEIPT,
    SIM_DISK_CHECKPOINT,
    SIM_DISK_BLOB,
} sim_disk_op;

typedef enum {
    SIM_DISK_OK,          /* the write completes */
    SIM_DISK_CRASH_LOST,  /* the node dies before the write is durable */
    SIM_DISK_CRASH_AFTER, /* the write is durable, the node dies before it returns */
    SIM_DISK_CRASH_TORN,  /* (WAL appends) half a record reaches the disk, then the node dies */
    SIM_DISK_FULL,        /* the write fails (HANSA_ERR_FULL, nothing written), the node lives */
} sim_disk_fault;

/* Asked before every write with its kind; ctx is the owner's. */
typedef sim_disk_fault (*sim_disk_fault_fn)(void *ctx, sim_disk_op op);

typedef struct sim_disk sim_disk;

sim_disk *sim_disk_new(sim_disk_fault_fn fault, void *ctx);
void sim_disk_free(sim_disk *d);

/* Block records kept once for several disks (the nodes of a world store
 * the same blocks). A disk keeps its own until it is given a pool, before
 * its first write; the pool is freed after every disk that uses it. */
typedef struct sim_block_pool sim_block_pool;
sim_block_pool *sim_block_pool_new(void);
void sim_block_pool_free(sim_block_pool *p);
void sim_disk_share(sim_disk *d, sim_block_pool *pool);

/* Opens a store on d (one at a time; the disk is no longer crashed). The
 * caller closes it with store_close. */
store *sim_disk_open(sim_disk *d);

/* True when a write crashed the node since the last open. */
bool sim_disk_crashed(const sim_disk *d);

/* The node's process dies (only while a store is open; not a clean
 * close): the lazy writes (store_put_signer_lazy, store_wal_append_lazy)
 * no commit carried yet are gone, as they are in the LMDB store's memory;
 * with power_loss (its machine loses power) those only a relaxed commit
 * (a block commit) carried too. The disk is crashed (every later write
 * fails) until it is opened again. Blocks are kept: the sim makes every
 * commit durable (docs/sim.md). Returns how many lazy writes it took. */
size_t sim_disk_crash(sim_disk *d, bool power_loss);

/* Forgets the signer state (the DKG and nonce records too) and the WAL
 * (an amnesiac delegate, or an operator restoring an old backup). Only
 * while no store is open. */
void sim_disk_forget_signer(sim_disk *d);

/* Writes done since creation (every kind), for reports. */
uint64_t sim_disk_writes(const sim_disk *d);

#endif

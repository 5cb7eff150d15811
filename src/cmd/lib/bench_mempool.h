/* bench_mempool.h — `hansa bench-mempool`: what a full mempool spends on
 * transactions it must refuse, in process, on one core.
 *
 * A node's mempool is open to every peer and client, and refusing costs
 * CPU: an attacker who can make each refusal expensive burns the node's
 * time for free. The bench fills a mempool to its limit (default 100,000
 * transfers from 1,000 senders, fee 10 each), then offers it transactions
 * it must refuse, each kind prepared in advance (distinct bytes, so no
 * cache of the bench's own making hides the cost), and reports admissions
 * per second:
 *   bad signature       a fresh funded sender, next nonce, fee 100 (it would
 *                       evict), random signature
 *   nonce already used  a queued sender re-using a queued nonce, signed
 *   over balance        a sender with 5 units sending 1000, signed
 *   fee too low         a fresh funded sender, fee 10: does not beat the
 *                       cheapest queued tx of a full pool, signed
 *   repeat              one refused transaction offered again and again
 *   mixed               the five kinds in turn: the headline figure
 * and, for scale, valid transactions that pay 11 and so each evict the
 * cheapest queued one. Every refusal is checked to be the expected one
 * and the pool to stay full. */
#ifndef HANSA_CMD_BENCH_MEMPOOL_H
#define HANSA_CMD_BENCH_MEMPOOL_H

int cmd_bench_mempool(int argc, char **argv);

#endif

/* sigbatch.c — see sigbatch.h: a fixed pool of verifier threads.
 *
 * The protocol of one batch, all under pool.mu except the verifying itself:
 *   the caller waits until no worker is still inside the previous batch
 *   (active == 0), publishes items/ok/n, resets the claim counter, bumps the
 *   generation and wakes the workers;
 *   each worker that sees a new generation counts itself active, claims item
 *   indices with an atomic fetch-add until they run out, verifies them, and
 *   on leaving decrements active and wakes the caller;
 *   the caller claims items too, then waits until every item is done and no
 *   worker is active.
 * Waiting for active == 0 before the next batch is what keeps a late worker
 * from claiming an index of the next batch with the previous batch's
 * pointers. */
#include "crypto/sigbatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/assert.h"
#include "crypto/sign.h"

static struct {
    pthread_mutex_t mu;       /* one batch at a time on the pool */
    pthread_mutex_t state_mu; /* everything below except the atomics */
    pthread_cond_t work_cv, done_cv;
    pthread_once_t once;
    unsigned threads;         /* allowed per batch, the caller included */
    unsigned workers;         /* started so far */
    unsigned long gen;
    unsigned active;
    const sig_item *items;
    bool *ok;
    size_t n;
    unsigned allowed;         /* workers that may join this batch */
    atomic_size_t next, done;
} pool = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .state_mu = PTHREAD_MUTEX_INITIALIZER,
    .work_cv = PTHREAD_COND_INITIALIZER,
    .done_cv = PTHREAD_COND_INITIALIZER,
    .once = PTHREAD_ONCE_INIT,
};

static bool verify_one(const sig_item *it) {
    return verify_domain(it->pk, it->domain, it->msg, it->len, it->sig);
}

/* Claims and verifies items until none is left. */
static void drain(const sig_item *items, bool *ok, size_t n) {
    for (;;) {
        size_t i = atomic_fetch_add(&pool.next, 1);
        if (i >= n) return;
        ok[i] = verify_one(&items[i]);
        atomic_fetch_add(&pool.done, 1);
    }
}

static void *worker_main(void *arg) {
    unsigned index = (unsigned)(uintptr_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.state_mu);
    for (;;) {
        while (pool.gen == seen) pthread_cond_wait(&pool.work_cv, &pool.state_mu);
        seen = pool.gen;
        if (index >= pool.allowed) continue;
        const sig_item *items = pool.items;
        bool *ok = pool.ok;
        size_t n = pool.n;
        pool.active++;
        pthread_mutex_unlock(&pool.state_mu);
        drain(items, ok, n);
        pthread_mutex_lock(&pool.state_mu);
        pool.active--;
        pthread_cond_broadcast(&pool.done_cv);
    }
    return NULL;
}

static unsigned clamp_threads(long t) {
    if (t < 1) return 1;
    if (t > SIG_BATCH_WORKERS_MAX + 1) return SIG_BATCH_WORKERS_MAX + 1;
    return (unsigned)t;
}

static void pool_defaults(void) {
    if (pool.threads == 0) pool.threads = clamp_threads(sysconf(_SC_NPROCESSORS_ONLN));
}

/* Starts workers until threads - 1 exist (state_mu held). A worker that
 * cannot be started only costs speed: the batch still completes. */
static void workers_ensure(void) {
    while (pool.workers + 1 < pool.threads) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker_main, (void *)(uintptr_t)pool.workers) != 0) return;
        pthread_detach(t);
        pool.workers++;
    }
}

void sig_batch_set_threads(unsigned threads) {
    pthread_once(&pool.once, pool_defaults);
    pthread_mutex_lock(&pool.state_mu);
    pool.threads = clamp_threads(threads);
    pthread_mutex_unlock(&pool.state_mu);
}

unsigned sig_batch_threads(void) {
    pthread_once(&pool.once, pool_defaults);
    pthread_mutex_lock(&pool.state_mu);
    unsigned t = pool.threads;
    pthread_mutex_unlock(&pool.state_mu);
    return t;
}

static size_t count_failed(const bool *ok, size_t n) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += !ok[i];
    return bad;
}

static size_t verify_alone(const sig_item *items, size_t n, bool *ok) {
    for (size_t i = 0; i < n; i++) ok[i] = verify_one(&items[i]);
    return count_failed(ok, n);
}

size_t sig_batch_verify(const sig_item *items, size_t n, bool *ok) {
    HANSA_ASSERT(items != NULL || n == 0);
    HANSA_ASSERT(ok != NULL || n == 0);
    if (n < SIG_BATCH_PARALLEL_MIN || sig_batch_threads() < 2) return verify_alone(items, n, ok);
    if (pthread_mutex_trylock(&pool.mu) != 0) return verify_alone(items, n, ok);
    pthread_mutex_lock(&pool.state_mu);
    workers_ensure();
    while (pool.active > 0) pthread_cond_wait(&pool.done_cv, &pool.state_mu);
    pool.items = items;
    pool.ok = ok;
    pool.n = n;
    pool.allowed = pool.threads - 1;
    atomic_store(&pool.next, 0);
    atomic_store(&pool.done, 0);
    pool.gen++;
    pthread_cond_broadcast(&pool.work_cv);
    pthread_mutex_unlock(&pool.state_mu);

    drain(items, ok, n);

    pthread_mutex_lock(&pool.state_mu);
    while (atomic_load(&pool.done) < n || pool.active > 0)
        pthread_cond_wait(&pool.done_cv, &pool.state_mu);
    pool.items = NULL;
    pool.ok = NULL;
    pool.n = 0;
    pthread_mutex_unlock(&pool.state_mu);
    pthread_mutex_unlock(&pool.mu);
    return count_failed(ok, n);
}

/* discovery.c — see discovery.h. */
#include "credit/discovery.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

#define HOPS_SEEN_MAX 64 /* ways out a site's view may give per query */

static bool ent_eq(const disc_ent *a, const disc_ent *b) {
    return a->site == b->site && pubkey_eq(&a->key, &b->key);
}

static void emit(disc_out *out, uint32_t to, const disc_msg *m) {
    HANSA_ASSERT(out->n < sizeof out->s / sizeof out->s[0]);
    out->s[out->n].to_site = to;
    out->s[out->n++].m = *m;
}

static bool wider(const credit_lift_cap *a, const credit_lift_cap *b) {
    return a->max > b->max || (a->max == b->max && a->min > b->min);
}

void disc_site_init(disc_site *rs, uint32_t site, disc_view view, uint64_t timeout_ms, uint64_t fresh_ms,
                     uint64_t retry_ms) {
    memset(rs, 0, sizeof *rs);
    rs->site = site;
    rs->view = view;
    rs->timeout_ms = timeout_ms;
    rs->fresh_ms = fresh_ms;
    rs->retry_ms = retry_ms;
}

static bool seed_rules; /* disc_test_seed_rules */

void disc_test_seed_rules(bool on) { seed_rules = on; }

/* What the site remembers of search id from entry (NULL: any entry), or NULL. */
static disc_seen *seen_of(disc_site *rs, const credit_id *id, const disc_ent *entry) {
    size_t n = rs->n_seen < DISC_SEEN_MAX ? rs->n_seen : DISC_SEEN_MAX;
    for (size_t i = 0; i < n; i++)
        if (credit_id_eq(&rs->seen[i].search, id) && (entry == NULL || ent_eq(&rs->seen[i].entry, entry)))
            return &rs->seen[i];
    return NULL;
}

static disc_seen *seen_new(disc_site *rs, const credit_id *id, const disc_ent *entry) {
    disc_seen *e = &rs->seen[rs->n_seen++ % DISC_SEEN_MAX];
    *e = (disc_seen){.search = *id, .entry = *entry};
    return e;
}

/* The mark of (target, via), or NULL. */
static disc_mark *mark_of(disc_site *rs, const disc_ent *target, const disc_ent *via) {
    size_t n = rs->n_mark < DISC_MARKS_MAX ? rs->n_mark : DISC_MARKS_MAX;
    for (size_t i = 0; i < n; i++)
        if (ent_eq(&rs->mark[i].target, target) && ent_eq(&rs->mark[i].via, via)) return &rs->mark[i];
    return NULL;
}

/* The fwd index of s that asked `from` about entry (still waiting for its
 * answer when `waiting`), or -1. */
static int fwd_of(const disc_search *s, uint32_t from, const disc_ent *entry, bool waiting) {
    for (uint8_t k = 0; k < s->n_fwd; k++)
        if (s->fwd_site[k] == from && (!waiting || !s->fwd_done[k]) && ent_eq(&s->fwd_entry[k], entry)) return k;
    return -1;
}

/* The open search of id that sent the query answer m answers: asked site
 * `from` about m's entry with m's ttl. Two that did asked the same thing. */
static disc_search *slot_of(disc_site *rs, const disc_msg *m, uint32_t from) {
    for (size_t i = 0; i < DISC_SEARCHES_MAX; i++) {
        disc_search *s = &rs->s[i];
        if (s->used && credit_id_eq(&s->search, &m->search) && s->ttl == m->ttl + 1 &&
            fwd_of(s, from, &m->entry, true) >= 0)
            return s;
    }
    return NULL;
}

/* The widest route from e's entry the site knows for e's search (its
 * searches from there, finished or open, note each route they find in e)
 * within ttl site hops. A search taken with more ttl may have found a wider
 * route that is longer: an asker with less ttl cannot use that one, but may
 * a shorter one (before, the widest alone was answered, and the asker
 * dropped it as too long: 5 of the 139 routes on 40 chains were lost so). */
static bool best_so_far(const disc_seen *e, uint8_t ttl, credit_lift_cap *cap, uint8_t *hops) {
    bool found = false;
    for (uint8_t h = 0; e != NULL && h <= ttl && h <= DISC_TTL_MAX; h++)
        if (e->by_hops[h].max > 0 && (!found || wider(&e->by_hops[h], cap)))
            *cap = e->by_hops[h], *hops = h, found = true;
    return found;
}

/* Search s found a route of hops site hops from its entry: kept when it is
 * its widest, and noted by hop count with the search's id and entry. */
static void note(disc_site *rs, disc_search *s, const credit_lift_cap *cap, uint8_t hops) {
    if (!s->found || wider(cap, &s->best)) s->best = *cap, s->best_hops = hops;
    s->found = true;
    disc_seen *e = seen_of(rs, &s->search, &s->entry);
    if (e && hops <= DISC_TTL_MAX && (e->by_hops[hops].max == 0 || wider(cap, &e->by_hops[hops])))
        e->by_hops[hops] = *cap;
}

static disc_search *slot_new(disc_site *rs) {
    for (size_t i = 0; i < DISC_SEARCHES_MAX; i++)
        if (!rs->s[i].used) {
            memset(&rs->s[i], 0, sizeof rs->s[i]);
            rs->s[i].used = true;
            return &rs->s[i];
        }
    return NULL;
}

static disc_record *record_of(disc_site *rs, const disc_ent *entry, const disc_ent *target, bool create) {
    for (size_t i = 0; i < rs->n_rec; i++)
        if (ent_eq(&rs->rec[i].entry, entry) && ent_eq(&rs->rec[i].target, target)) return &rs->rec[i];
    if (!create) return NULL;
    size_t k = rs->n_rec;
    if (k == DISC_RECORDS_MAX) { /* the oldest record makes room */
        k = 0;
        for (size_t i = 1; i < rs->n_rec; i++)
            if (rs->rec[i].updated_ms < rs->rec[k].updated_ms) k = i;
    } else {
        rs->n_rec++;
    }
    memset(&rs->rec[k], 0, sizeof rs->rec[k]);
    rs->rec[k].entry = *entry;
    rs->rec[k].target = *target;
    return &rs->rec[k];
}

const disc_record *disc_record_get(const disc_site *rs, const disc_ent *entry, const disc_ent *target) {
    return record_of((disc_site *)rs, entry, target, false);
}

size_t disc_open(const disc_site *rs) {
    size_t n = 0;
    for (size_t i = 0; i < DISC_SEARCHES_MAX; i++) n += rs->s[i].used;
    return n;
}

/* The search is over (what it found is noted already): the origin
 * records it, others answer their asker. */
static void finish(disc_site *rs, disc_search *s, uint64_t now_ms, disc_out *out) {
    if (s->origin) {
        disc_record *r = record_of(rs, &s->entry, &s->target, true);
        r->state = s->found ? DISC_GOOD : DISC_NONE;
        r->cap = s->found ? s->best : (credit_lift_cap){0, 0, 0};
        r->hops = s->found ? s->best_hops : 0;
        r->updated_ms = now_ms;
    } else {
        disc_msg a = {.kind = DISC_ANSWER, .search = s->search, .entry = s->entry, .ttl = s->ttl,
                      .found = s->found, .hops = s->best_hops};
        if (s->found) a.cap = s->best;
        emit(out, s->asker, &a);
    }
    s->used = false;
}

/* The widest route from s's entry over one of its ways out (hops[0..n)) to
 * an entity a fresh mark says reaches s's target within s's ttl. */
static bool mark_route(disc_site *rs, const disc_search *s, const disc_hop *hops, size_t n, uint64_t now_ms,
                       credit_lift_cap *cap, uint8_t *nhops) {
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        const disc_mark *k = mark_of(rs, &s->target, &hops[i].next);
        if (k == NULL || now_ms - k->updated_ms >= rs->fresh_ms || k->hops + 1u > s->ttl) continue;
        credit_lift_cap two[2] = {hops[i].cap, k->cap}, c = credit_lift_path_cap(two, 2);
        if (c.max > 0 && (!found || wider(&c, cap))) *cap = c, *nhops = (uint8_t)(k->hops + 1), found = true;
    }
    return found;
}

/* Picks the ways to forward over (into fwd, at most DISC_FORWARD_MAX): one
 * per neighbouring site (its widest way there) and, with room left, the
 * next widest ways to other entries. */
static size_t pick(const disc_site *rs, const disc_hop *hops, size_t n, disc_hop *fwd) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (hops[i].next.site == rs->site || hops[i].cap.max == 0) continue;
        size_t k = 0;
        while (k < m && fwd[k].next.site != hops[i].next.site) k++;
        if (k == m) {
            if (m == DISC_FORWARD_MAX) continue;
            m++;
        } else if (!wider(&hops[i].cap, &fwd[k].cap)) {
            continue;
        }
        fwd[k] = hops[i];
    }
    while (!seed_rules && m < DISC_FORWARD_MAX) {
        size_t w = n;
        for (size_t i = 0; i < n; i++) {
            bool taken = false;
            for (size_t k = 0; k < m && !taken; k++) taken = ent_eq(&fwd[k].next, &hops[i].next);
            if (hops[i].next.site != rs->site && hops[i].cap.max > 0 && !taken &&
                (w == n || wider(&hops[i].cap, &hops[w].cap)))
                w = i;
        }
        if (w == n) break;
        fwd[m++] = hops[w];
    }
    return m;
}

size_t disc_forwards(disc_site *rs, const disc_ent *entry, disc_hop *out) {
    disc_hop hops[HOPS_SEEN_MAX];
    size_t n = rs->view.hops(rs->view.ctx, entry, hops, HOPS_SEEN_MAX);
    return pick(rs, hops, n, out);
}

static disc_msg query_of(const disc_search *s, uint8_t k) {
    return (disc_msg){.kind = DISC_QUERY, .search = s->search, .entry = s->fwd_entry[k], .target = s->target,
                      .ttl = (uint8_t)(s->ttl - 1), .floor = s->floor};
}

/* Looks locally and (a bidirectional search) at the marks of a beacon,
 * then, while the ttl is above the floor, forwards (pick_forwards) with
 * ttl - 1; finishes at once when nothing is left to wait for. */
static void open_search(disc_site *rs, disc_search *s, uint8_t ttl, uint64_t now_ms, disc_out *out) {
    s->ttl = ttl;
    s->deadline_ms = now_ms + rs->timeout_ms * (ttl + 1u) / (DISC_TTL_MAX + 1u);
    credit_lift_cap cap;
    if (s->target.site == rs->site && rs->view.local(rs->view.ctx, &s->entry, &s->target, &cap) && cap.max > 0) {
        note(rs, s, &cap, 0);
        return finish(rs, s, now_ms, out);
    }
    disc_hop hops[HOPS_SEEN_MAX];
    size_t n = ttl == 0 ? 0 : rs->view.hops(rs->view.ctx, &s->entry, hops, HOPS_SEEN_MAX);
    uint8_t h; /* a one-way search keeps the widest of all it floods: marks are the half searches' */
    if (s->floor > 0 && mark_route(rs, s, hops, n, now_ms, &cap, &h)) {
        note(rs, s, &cap, h);
        return finish(rs, s, now_ms, out);
    }
    disc_hop fwd[DISC_FORWARD_MAX];
    s->n_fwd = ttl > s->floor ? (uint8_t)pick(rs, hops, n, fwd) : 0;
    for (uint8_t k = 0; k < s->n_fwd; k++)
        s->fwd_site[k] = fwd[k].next.site, s->fwd_entry[k] = fwd[k].next, s->fwd_cap[k] = fwd[k].cap;
    for (uint8_t k = 0; k < s->n_fwd; k++) {
        disc_msg q = query_of(s, k);
        emit(out, s->fwd_site[k], &q);
    }
    s->waiting = s->n_fwd;
    if (s->waiting == 0) finish(rs, s, now_ms, out);
}

/* Whether record r answers a find in mode at now without a new search. */
static bool record_answers(const disc_site *rs, const disc_record *r, uint64_t now_ms, disc_mode mode) {
    bool serves = r->mode == DISC_ONEWAY || mode == DISC_BIDIR;
    return r->state == DISC_DRAFT ||
           (serves && r->state == DISC_GOOD && now_ms - r->updated_ms < rs->fresh_ms) ||
           (serves && r->state == DISC_NONE && now_ms - r->updated_ms < rs->retry_ms);
}

const disc_record *disc_find_kept(const disc_site *rs, const disc_ent *entry, const disc_ent *target,
                                  uint64_t now_ms, disc_mode mode) {
    const disc_record *r = disc_record_get(rs, entry, target);
    return r && record_answers(rs, r, now_ms, mode) ? r : NULL;
}

const disc_record *disc_find(disc_site *rs, const disc_ent *entry, const disc_ent *target, uint64_t now_ms,
                               const credit_id *search, disc_mode mode, disc_out *out) {
    disc_record *r = record_of(rs, entry, target, true);
    if (record_answers(rs, r, now_ms, mode)) return r;
    disc_search *s = slot_new(rs);
    r->updated_ms = now_ms;
    r->mode = (uint8_t)mode;
    if (s == NULL || seen_of(rs, search, NULL) != NULL) { /* an id is the origin's once */
        if (s) s->used = false;
        r->state = DISC_NONE;
        return r;
    }
    seen_new(rs, search, entry)->ttl = DISC_TTL_MAX;
    r->state = DISC_DRAFT;
    *s = (disc_search){.used = true, .origin = true, .search = *search, .entry = *entry, .target = *target,
                        .started_ms = now_ms, .floor = mode == DISC_BIDIR ? DISC_HALF : 0};
    open_search(rs, s, DISC_TTL_MAX, now_ms, out);
    return record_of(rs, entry, target, false);
}

/* ---- beacons: marks against the flow of value --------------------------- */

/* How entity u of this site reaches target: over a way out to k's entity
 * and on as k says, or (k NULL, target on this site) inside the site. */
static bool reach(disc_site *rs, const disc_ent *u, const disc_mark *k, const disc_ent *target,
                  credit_lift_cap *cap) {
    if (k == NULL) return rs->view.local(rs->view.ctx, u, target, cap) && cap->max > 0;
    disc_hop hops[HOPS_SEEN_MAX];
    size_t n = rs->view.hops(rs->view.ctx, u, hops, HOPS_SEEN_MAX);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (!ent_eq(&hops[i].next, &k->via)) continue;
        credit_lift_cap two[2] = {hops[i].cap, k->cap}, c = credit_lift_path_cap(two, 2);
        if (c.max > 0 && (!found || wider(&c, cap))) *cap = c, found = true;
    }
    return found;
}

/* Marks to send: one per (site, entity), the DISC_FORWARD_MAX widest. */
typedef struct {
    size_t n;
    uint32_t to[DISC_FORWARD_MAX];
    disc_msg m[DISC_FORWARD_MAX];
} mark_set;

static void mark_keep(mark_set *ms, uint32_t to, const disc_msg *m) {
    size_t j = 0;
    while (j < ms->n && !(ms->to[j] == to && ent_eq(&ms->m[j].entry, &m->entry))) j++;
    if (j == ms->n && ms->n < DISC_FORWARD_MAX) {
        ms->n++;
    } else {
        if (j == ms->n) /* full: the narrowest may make room */
            for (size_t x = j = 0; x < ms->n; x++)
                if (wider(&ms->m[j].cap, &ms->m[x].cap)) j = x;
        if (!wider(&m->cap, &ms->m[j].cap)) return;
    }
    ms->to[j] = to;
    ms->m[j] = *m;
}

/* How the entities a pass looks at reach the target: each entity's path
 * search once, and at most DISC_FORWARD_MAX entities a pass, so one mark
 * costs a site at most DISC_FORWARD_MAX path searches over its view (a
 * query two). */
typedef struct {
    size_t n;
    disc_ent u[DISC_FORWARD_MAX];
    bool ok[DISC_FORWARD_MAX];
    credit_lift_cap cap[DISC_FORWARD_MAX];
} reach_memo;

static bool reach_once(disc_site *rs, reach_memo *r, const disc_ent *u, const disc_mark *k, const disc_ent *target,
                       credit_lift_cap *cap) {
    size_t j = 0;
    while (j < r->n && !ent_eq(&r->u[j], u)) j++;
    if (j == r->n) {
        if (r->n == DISC_FORWARD_MAX) return false;
        r->u[j] = *u;
        r->ok[j] = reach(rs, u, k, target, &r->cap[j]);
        r->n++;
    }
    *cap = r->cap[j];
    return r->ok[j];
}

/* Sends this site's marks for target (reached over k, or inside the site)
 * to the sites, all but `skip`, that pay into the entities reaching it;
 * hops: from those entities to the target. */
static size_t spread(disc_site *rs, uint32_t skip, const credit_id *beacon, const disc_ent *target,
                     const disc_mark *k, uint8_t ttl, uint8_t hops, disc_out *out) {
    disc_in in[HOPS_SEEN_MAX];
    size_t n = rs->view.ins(rs->view.ctx, rs->site, in, HOPS_SEEN_MAX);
    mark_set ms = {0};
    reach_memo memo = {0};
    for (size_t i = 0; i < n; i++) {
        disc_msg m = {.kind = DISC_MARK, .search = *beacon, .entry = in[i].to, .target = *target, .ttl = ttl,
                      .hops = hops};
        uint32_t site = in[i].from.site;
        if (site != rs->site && site != skip && in[i].to.site == rs->site &&
            reach_once(rs, &memo, &in[i].to, k, target, &m.cap))
            mark_keep(&ms, site, &m);
    }
    for (size_t j = 0; j < ms.n; j++) emit(out, ms.to[j], &ms.m[j]);
    return ms.n;
}

size_t disc_beacon(disc_site *rs, const disc_ent *target, const credit_id *id, disc_out *out) {
    if (target->site != rs->site) return 0;
    return spread(rs, 0, id, target, NULL, DISC_HALF - 1, 0, out);
}

/* A neighbour's mark: kept while it is new (a new beacon or more ttl than
 * before for its entity) or wider at the same ttl, and passed on only when
 * new, so a beacon passes each entity at most DISC_HALF times a site. */
static void on_mark(disc_site *rs, uint32_t from, const disc_msg *m, uint64_t now_ms, disc_out *out) {
    if (m->entry.site != from || m->target.site == rs->site) return; /* not the sender's own; or ours */
    disc_mark *k = mark_of(rs, &m->target, &m->entry);
    bool pass = k == NULL || now_ms - k->updated_ms >= rs->fresh_ms || !credit_id_eq(&k->beacon, &m->search) ||
                m->ttl > k->ttl;
    if (!pass && !(m->ttl == k->ttl && wider(&m->cap, &k->cap))) return;
    if (k == NULL) k = &rs->mark[rs->n_mark++ % DISC_MARKS_MAX];
    *k = (disc_mark){.beacon = m->search, .via = m->entry, .target = m->target, .cap = m->cap, .hops = m->hops,
                     .ttl = m->ttl, .updated_ms = now_ms};
    if (pass && m->ttl > 0)
        spread(rs, from, &k->beacon, &k->target, k, (uint8_t)(m->ttl - 1), (uint8_t)(m->hops + 1), out);
}

static void on_query(disc_site *rs, uint32_t from, const disc_msg *m, uint64_t now_ms, disc_out *out) {
    uint8_t ttl = m->ttl < DISC_TTL_MAX ? m->ttl : DISC_TTL_MAX;
    bool here = m->entry.site == rs->site;
    disc_seen *e = here ? seen_of(rs, &m->search, &m->entry) : NULL;
    bool take = here && (seed_rules ? seen_of(rs, &m->search, NULL) == NULL : e == NULL || ttl > e->ttl);
    disc_search *s = take ? slot_new(rs) : NULL;
    if (s == NULL) {
        disc_msg a = {.kind = DISC_ANSWER, .search = m->search, .entry = m->entry, .ttl = m->ttl};
        if (!seed_rules && best_so_far(e, m->ttl, &a.cap, &a.hops)) a.found = true;
        emit(out, from, &a);
        return;
    }
    *s = (disc_search){.used = true, .search = m->search, .asker = from, .entry = m->entry, .target = m->target,
                        .started_ms = now_ms, .floor = m->floor};
    /* Taken again with more ttl: what it found from this entry stands. */
    s->found = best_so_far(e, ttl, &s->best, &s->best_hops);
    if (e == NULL) e = seen_new(rs, &m->search, &m->entry);
    e->ttl = ttl;
    open_search(rs, s, ttl, now_ms, out);
}

/* An answer is the reply to the query it names (entry, ttl); a route it
 * brings starts at that entry, so every open search here that asked that
 * entry takes it too (also one already answered: a copy sent again may have
 * been answered before the search that site was running found it). */
static void on_answer(disc_site *rs, uint32_t from, const disc_msg *m, uint64_t now_ms, disc_out *out) {
    disc_search *s = slot_of(rs, m, from);
    if (s == NULL && seed_rules) return; /* late (the search ended), or not asked */
    for (size_t i = 0; i < DISC_SEARCHES_MAX && m->found && m->cap.max > 0; i++) {
        disc_search *o = &rs->s[i];
        int k = o->used && credit_id_eq(&o->search, &m->search) ? fwd_of(o, from, &m->entry, false) : -1;
        /* a route longer than o's ttl allows would take the whole one past DISC_TTL_MAX */
        if (k < 0 || (o != s && seed_rules) || m->hops + 1u > o->ttl) continue;
        credit_lift_cap two[2] = {o->fwd_cap[k], m->cap};
        credit_lift_cap cand = credit_lift_path_cap(two, 2);
        if (cand.max > 0) note(rs, o, &cand, (uint8_t)(m->hops + 1));
    }
    if (s == NULL) return;
    s->fwd_done[fwd_of(s, from, &m->entry, true)] = true;
    if (--s->waiting == 0) finish(rs, s, now_ms, out);
}

void disc_recv(disc_site *rs, uint32_t from, const disc_msg *m, uint64_t now_ms, disc_out *out) {
    switch ((disc_msg_kind)m->kind) {
    case DISC_QUERY: return on_query(rs, from, m, now_ms, out);
    case DISC_ANSWER: return on_answer(rs, from, m, now_ms, out);
    case DISC_MARK: return on_mark(rs, from, m, now_ms, out);
    }
}

void disc_tick(disc_site *rs, uint64_t now_ms, disc_out *out) {
    const size_t room = sizeof out->s / sizeof out->s[0];
    for (size_t i = 0; i < DISC_SEARCHES_MAX; i++) {
        disc_search *s = &rs->s[i];
        if (!s->used) continue;
        /* Each ending search sends at most one answer; the rest end next tick. */
        if (now_ms >= s->deadline_ms) {
            if (out->n < DISC_FORWARD_MAX) finish(rs, s, now_ms, out);
            continue;
        }
        /* Halfway to its deadline, a query still unanswered goes once more:
         * it or its answer may be lost. A site that took it answers the copy
         * at once with what it found; one that never saw it takes it. */
        if (seed_rules || 2 * (now_ms - s->started_ms) < s->deadline_ms - s->started_ms) continue;
        for (uint8_t k = 0; k < s->n_fwd && out->n < room; k++) {
            if (s->fwd_done[k] || s->fwd_resent[k]) continue;
            disc_msg q = query_of(s, k);
            emit(out, s->fwd_site[k], &q);
            s->fwd_resent[k] = true;
        }
    }
}

/* ---- the beacon duty -------------------------------------------------------- */

void disc_duty_init(disc_duty *d, uint64_t life_ms, uint64_t refresh_ms) {
    memset(d, 0, sizeof *d);
    d->life_ms = life_ms;
    d->refresh_ms = refresh_ms;
}

static disc_duty_ent *duty_of(disc_duty *d, const disc_ent *who) {
    for (size_t i = 0; i < DISC_DUTY_MAX; i++)
        if (d->e[i].used && ent_eq(&d->e[i].who, who)) return &d->e[i];
    return NULL;
}

void disc_duty_invoice(disc_duty *d, const disc_ent *who, uint64_t now_ms) {
    disc_duty_ent *e = duty_of(d, who);
    if (e == NULL) { /* a free place, or the one whose time ends first */
        e = &d->e[0];
        for (size_t i = 0; i < DISC_DUTY_MAX && e->used; i++)
            if (!d->e[i].used || d->e[i].until_ms < e->until_ms) e = &d->e[i];
        *e = (disc_duty_ent){.used = true, .who = *who, .next_ms = now_ms};
    }
    e->pending++;
    e->until_ms = now_ms + d->life_ms;
}

void disc_duty_settled(disc_duty *d, const disc_ent *who) {
    disc_duty_ent *e = duty_of(d, who);
    if (e && --e->pending == 0) e->used = false;
}

size_t disc_duty_due(disc_duty *d, uint64_t now_ms, disc_ent *out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < DISC_DUTY_MAX; i++) {
        disc_duty_ent *e = &d->e[i];
        if (e->used && now_ms >= e->until_ms) e->used = false;
        if (!e->used || now_ms < e->next_ms || n == max) continue;
        out[n++] = e->who;
        e->next_ms = now_ms + d->refresh_ms;
    }
    return n;
}

/* ---- the message's bytes ------------------------------------------------- */

static void put_ent(hbuf *b, const disc_ent *e) {
    hbuf_put_u32(b, e->site);
    hbuf_append(b, e->key.b, HANSA_PUBKEY_BYTES);
}

static void put_cap(hbuf *b, const credit_lift_cap *c) {
    hbuf_put_u64(b, c->min);
    hbuf_put_u64(b, c->max);
    hbuf_put_u32(b, (uint32_t)c->margin_ppm);
}

void disc_msg_encode(hbuf *b, const disc_msg *m) {
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_put_u8(b, m->kind);
    hbuf_append(b, m->search.b, CREDIT_ID_BYTES);
    switch ((disc_msg_kind)m->kind) {
    case DISC_QUERY:
        put_ent(b, &m->entry);
        put_ent(b, &m->target);
        hbuf_put_u8(b, m->ttl);
        hbuf_put_u8(b, m->floor);
        return;
    case DISC_ANSWER:
        put_ent(b, &m->entry);
        hbuf_put_u8(b, m->ttl);
        hbuf_put_u8(b, m->found ? 1 : 0);
        put_cap(b, &m->cap);
        hbuf_put_u8(b, m->hops);
        return;
    case DISC_MARK:
        put_ent(b, &m->entry);
        put_ent(b, &m->target);
        hbuf_put_u8(b, m->ttl);
        put_cap(b, &m->cap);
        hbuf_put_u8(b, m->hops);
        return;
    }
    HANSA_ASSERT(!"disc_msg_encode: unknown kind");
}

static void rd_ent(wire_rd *r, disc_ent *e, const char *site, const char *key) {
    e->site = rd_u32(r, site);
    rd_fixed(r, e->key.b, HANSA_PUBKEY_BYTES, key);
}

/* ttl, capacity and hops as an answer and a mark carry them; false when one
 * is out of bounds (r says which). */
static bool rd_route(wire_rd *r, disc_msg *m, bool answer) {
    m->ttl = rd_u8(r, "ttl");
    if (answer) m->found = rd_bool(r, "found");
    m->cap.min = rd_u64(r, "cap_min");
    m->cap.max = rd_u64(r, "cap_max");
    m->cap.margin_ppm = (int32_t)rd_u32(r, "margin_ppm");
    m->hops = rd_u8(r, "hops");
    if (r->err != HANSA_OK) return false;
    if (m->ttl > DISC_TTL_MAX) rd_fail(r, HANSA_ERR_TOO_LONG, "ttl");
    else if (m->cap.min > m->cap.max) rd_fail(r, HANSA_ERR_INVALID, "cap_min");
    else if (m->cap.margin_ppm < -CREDIT_PPM_ONE || m->cap.margin_ppm > CREDIT_PPM_ONE)
        rd_fail(r, HANSA_ERR_INVALID, "margin_ppm");
    else if (m->hops > DISC_TTL_MAX + 1) rd_fail(r, HANSA_ERR_TOO_LONG, "hops");
    return r->err == HANSA_OK;
}

/* The answer's fields and their bounds; a "none" answer has one encoding. */
static void rd_answer(wire_rd *r, disc_msg *m) {
    rd_ent(r, &m->entry, "entry_site", "entry_key");
    if (rd_route(r, m, true) && !m->found && (m->cap.max != 0 || m->cap.margin_ppm != 0 || m->hops != 0))
        rd_fail(r, HANSA_ERR_INVALID, "found");
}

/* A mark brings a route (capacity) within what a beacon may travel. */
static void rd_mark(wire_rd *r, disc_msg *m) {
    rd_ent(r, &m->entry, "entry_site", "entry_key");
    rd_ent(r, &m->target, "target_site", "target_key");
    if (!rd_route(r, m, false)) return;
    if (m->cap.max == 0) rd_fail(r, HANSA_ERR_INVALID, "cap_max");
    else if (m->hops + m->ttl > DISC_TTL_MAX - 1) rd_fail(r, HANSA_ERR_TOO_LONG, "hops");
}

static void rd_query(wire_rd *r, disc_msg *m) {
    rd_ent(r, &m->entry, "entry_site", "entry_key");
    rd_ent(r, &m->target, "target_site", "target_key");
    m->ttl = rd_u8(r, "ttl");
    m->floor = rd_u8(r, "floor");
    if (r->err == HANSA_OK && m->ttl > DISC_TTL_MAX) rd_fail(r, HANSA_ERR_TOO_LONG, "ttl");
    else if (r->err == HANSA_OK && m->floor > m->ttl) rd_fail(r, HANSA_ERR_INVALID, "floor");
}

hansa_err disc_msg_decode(const uint8_t *p, size_t len, disc_msg *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, CREDIT_VERSION);
    out->kind = rd_u8(r, "kind");
    rd_fixed(r, out->search.b, CREDIT_ID_BYTES, "search");
    if (r->err == HANSA_OK && out->kind == DISC_QUERY) rd_query(r, out);
    else if (r->err == HANSA_OK && out->kind == DISC_ANSWER) rd_answer(r, out);
    else if (r->err == HANSA_OK && out->kind == DISC_MARK) rd_mark(r, out);
    else if (r->err == HANSA_OK) rd_fail(r, HANSA_ERR_INVALID, "kind");
    return rd_close(r, out, sizeof *out);
}

/* ---- a site's view built from its tallies ----------------------------------------- */

void disc_graph_init(disc_graph *g, uint32_t site) {
    memset(g, 0, sizeof *g);
    g->site = site;
    g->edge = hansa_calloc(DISC_GRAPH_EDGES_MAX, sizeof *g->edge);
    g->in = hansa_calloc(DISC_GRAPH_EDGES_MAX, sizeof *g->in);
    g->node = hansa_calloc(DISC_GRAPH_EDGES_MAX, sizeof *g->node);
    g->best = hansa_calloc(DISC_GRAPH_EDGES_MAX, sizeof *g->best);
    g->next = hansa_calloc(DISC_GRAPH_EDGES_MAX, sizeof *g->next);
    g->reached = hansa_calloc(DISC_GRAPH_EDGES_MAX, sizeof *g->reached);
    g->reached_next = hansa_calloc(DISC_GRAPH_EDGES_MAX, sizeof *g->reached_next);
}

void disc_graph_free(disc_graph *g) {
    free(g->edge);
    free(g->in);
    free(g->node);
    free(g->best);
    free(g->next);
    free(g->reached);
    free(g->reached_next);
    memset(g, 0, sizeof *g);
}

static int node_find(const disc_graph *g, const hansa_pubkey *k) {
    for (size_t i = 0; i < g->n_nodes; i++)
        if (pubkey_eq(&g->node[i], k)) return (int)i;
    return -1;
}

static uint32_t node_of(disc_graph *g, const hansa_pubkey *k) {
    int i = node_find(g, k);
    if (i >= 0) return (uint32_t)i;
    g->node[g->n_nodes] = *k;
    return (uint32_t)g->n_nodes++;
}

/* The edge paying `payer` -> the receiving side of t, when it has room. */
static void add_edge(disc_graph *g, const credit_tally *t, const credit_party *payer, const credit_party *to,
                     credit_side receiver) {
    credit_lift_cap cap = credit_lift_edge_cap(t, receiver, 0);
    if (cap.max == 0) return;
    disc_edge *e = &g->edge[g->n_edges++];
    e->from = node_of(g, &payer->key);
    e->to = to->chain_id == g->site ? (int32_t)node_of(g, &to->key) : -1;
    e->to_ent = (disc_ent){to->chain_id, to->key};
    e->cap = cap;
}

bool disc_graph_add_tally(disc_graph *g, const credit_tally *t) {
    const credit_party *st = &t->contract.stock, *fo = &t->contract.foil;
    bool st_here = st->chain_id == g->site, fo_here = fo->chain_id == g->site;
    if (t->state != CREDIT_TALLY_OPEN || (!st_here && !fo_here)) return true;
    /* two edges and as many new nodes at most */
    if (g->n_edges + 2 > DISC_GRAPH_EDGES_MAX || g->n_nodes + 2 > DISC_GRAPH_EDGES_MAX ||
        g->n_in + 1 > DISC_GRAPH_EDGES_MAX)
        return false;
    if (st_here) add_edge(g, t, st, fo, CREDIT_FOIL);
    if (fo_here) add_edge(g, t, fo, st, CREDIT_STOCK);
    /* the way in a beacon's marks go out by: the foreign party paying ours */
    credit_side in_side = st_here ? CREDIT_STOCK : CREDIT_FOIL;
    if (st_here != fo_here && credit_lift_edge_cap(t, in_side, 0).max > 0)
        g->in[g->n_in++] = st_here ? (disc_in){{fo->chain_id, fo->key}, {st->chain_id, st->key}}
                                   : (disc_in){{st->chain_id, st->key}, {fo->chain_id, fo->key}};
    return true;
}

/* Widest paths from entry over the site's own edges, at most
 * CREDIT_LIFT_HOPS_MAX of them (one round per tally, so the bound is exact).
 * Returns entry's index, -1 when the site has no edge from it. */
static int widest(disc_graph *g, const disc_ent *entry) {
    int s = entry->site == g->site ? node_find(g, &entry->key) : -1;
    memset(g->reached, 0, g->n_nodes * sizeof *g->reached);
    if (s < 0) return -1;
    g->reached[s] = true;
    g->best[s] = (credit_lift_cap){UINT64_MAX, UINT64_MAX, 0}; /* the empty path */
    for (int round = 0; round < CREDIT_LIFT_HOPS_MAX; round++) {
        bool changed = false;
        memcpy(g->next, g->best, g->n_nodes * sizeof *g->next);
        memcpy(g->reached_next, g->reached, g->n_nodes * sizeof *g->reached_next);
        for (size_t i = 0; i < g->n_edges; i++) {
            const disc_edge *e = &g->edge[i];
            if (e->to < 0 || e->to == s || !g->reached[e->from]) continue;
            credit_lift_cap two[2] = {g->best[e->from], e->cap}, c = credit_lift_path_cap(two, 2);
            if (!g->reached_next[e->to] || c.max > g->next[e->to].max) {
                g->next[e->to] = c;
                g->reached_next[e->to] = true;
                changed = true;
            }
        }
        memcpy(g->best, g->next, g->n_nodes * sizeof *g->best);
        memcpy(g->reached, g->reached_next, g->n_nodes * sizeof *g->reached);
        if (!changed) break;
    }
    return s;
}

static bool graph_local(void *ctx, const disc_ent *entry, const disc_ent *target, credit_lift_cap *cap) {
    disc_graph *g = ctx;
    if (ent_eq(entry, target)) { /* a query arriving at its target: the empty path */
        *cap = (credit_lift_cap){UINT64_MAX, UINT64_MAX, 0};
        return entry->site == g->site;
    }
    int s = widest(g, entry), t = target->site == g->site ? node_find(g, &target->key) : -1;
    if (s < 0 || t < 0 || t == s || !g->reached[t]) return false;
    *cap = g->best[t];
    return true;
}

static size_t graph_hops(void *ctx, const disc_ent *entry, disc_hop *out, size_t max) {
    disc_graph *g = ctx;
    size_t n = 0;
    if (widest(g, entry) < 0) return 0;
    for (size_t i = 0; i < g->n_edges && n < max; i++) {
        const disc_edge *e = &g->edge[i];
        if (e->to >= 0 || !g->reached[e->from]) continue;
        credit_lift_cap two[2] = {g->best[e->from], e->cap};
        out[n++] = (disc_hop){e->to_ent, credit_lift_path_cap(two, 2)};
    }
    return n;
}

static size_t graph_ins(void *ctx, uint32_t site, disc_in *out, size_t max) {
    const disc_graph *g = ctx;
    size_t n = site != g->site ? 0 : g->n_in < max ? g->n_in : max;
    memcpy(out, g->in, n * sizeof *out);
    return n;
}

disc_view disc_graph_view(disc_graph *g) {
    return (disc_view){graph_local, graph_hops, graph_ins, g};
}

/* emu_ratelimit.c: the per-account limit live Account Management applies to
 * every token of one account: how many of its requests are answered at once
 * (--rate-limit-inflight) and a token bucket of requests per second whose
 * burst is one second's worth (--rate-limit-rps). The counters feed
 * GET /emu/state, so tests can check a client stayed within the limit.
 * State lives in the server and changes only under its lock. */
#include "emu.h"
#include "timeutil.h"

#define MILLI 1000 /* the bucket counts 1/1000 of a request */

bool emu_ratelimit_enter(emu_req *r, int account)
{
    const emu_config *c = r->model->cfg;
    int64_t now = dtc_mono_ms();
    emu_lock(r->srv);
    emu_rlstate *st = emu_rlstate_of(r->srv, account);
    if (c->rl_rps > 0) {
        int64_t cap = (int64_t)c->rl_rps * MILLI;
        /* A fresh bucket is full; refilling at rl_rps requests per second
         * means rl_rps milli-requests per millisecond. */
        if (st->admitted == 0 && st->limited == 0)
            st->bucket_milli = cap;
        else if (now > st->refilled_ms)
            st->bucket_milli += (now - st->refilled_ms) * c->rl_rps;
        if (st->bucket_milli > cap) st->bucket_milli = cap;
        st->refilled_ms = now;
    }
    bool ok = !(c->rl_inflight > 0 && st->inflight >= c->rl_inflight) &&
              !(c->rl_rps > 0 && st->bucket_milli < MILLI);
    if (ok) {
        if (c->rl_rps > 0) st->bucket_milli -= MILLI;
        if (++st->inflight > st->peak_inflight) st->peak_inflight = st->inflight;
        st->admitted++;
    } else {
        st->limited++;
    }
    emu_unlock(r->srv);
    return ok;
}

void emu_ratelimit_leave(emu_server *s, int account)
{
    emu_lock(s);
    emu_rlstate *st = emu_rlstate_of(s, account);
    if (st->inflight > 0) st->inflight--;
    emu_unlock(s);
}

void emu_ratelimit_stats(emu_server *s, int account, emu_rlstate *out)
{
    emu_lock(s);
    *out = *emu_rlstate_of(s, account);
    emu_unlock(s);
}

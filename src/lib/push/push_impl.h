/* push_impl.h: what push.c shares with its two sinks, webhook.c and
 * bizevents.c: how a record becomes JSON and how a batch becomes a request. */
#ifndef DTC_PUSH_IMPL_H
#define DTC_PUSH_IMPL_H
#include "buf.h"
#include "dtcost/push.h"

/* The flat JSON object of one record (both sinks send these fields):
 * recordKey, idempotencyKey, revision, change, kind, day, accountUuid,
 * subscriptionUuid, environment and capability fields, cost (exact decimal),
 * costMicro, currency, bookingDate, usage, usageUnit. */
int dtc_webhook__record(dtc_buf *out, const dtc_push_rec *r, const char *idem) DTC_MUST_CHECK;
/* "sha256=<64 hex>" of HMAC-SHA256(secret, body). dst has >= 72 bytes. */
int dtc_webhook__sign(const char *secret, const char *body, size_t len, char *dst) DTC_MUST_CHECK;
/* Content-Type of a webhook body in d's format. */
const char *dtc_webhook__content_type(const dtc_push_dest *d);

/* One CloudEvent (specversion 1.0, id = the record's idempotency key, source
 * = event.provider, type = event.type, time = the day, data = the flat record). */
int dtc_bizevents__event(dtc_buf *out, const dtc_push_dest *d, const dtc_push_rec *r,
                         const char *idem) DTC_MUST_CHECK;
#define DTC_BIZEVENTS_CONTENT_TYPE "application/cloudevent-batch+json"

#endif

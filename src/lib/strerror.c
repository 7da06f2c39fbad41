/* strerror.c: the text of every dtcost error code. */
#include "dtcost/errors.h"

const char *dtc_strerror(int code)
{
    switch (code) {
    case DTC_OK:
        return "success";
    case DTC_ENOMEM:
        return "out of memory";
    case DTC_EINVAL:
        return "invalid argument";
    case DTC_ETOOBIG:
        return "input larger than its limit";
    case DTC_EIO:
        return "input/output error";
    case DTC_EHTTP:
        return "HTTP request failed";
    case DTC_EAUTH:
        return "authentication or authorization failed";
    case DTC_EPARSE:
        return "malformed input";
    case DTC_EZIP:
        return "corrupt or unsafe ZIP archive";
    case DTC_EDB:
        return "database error";
    case DTC_ENOTFOUND:
        return "not found";
    case DTC_ERETRY:
        return "retries exhausted";
    case DTC_EGONE:
        return "endpoint removed";
    case DTC_EREQUEST:
        return "request refused by the server";
    case DTC_EBUSY:
        return "held by another run";
    case DTC_EDBLOST:
        return "database server unreachable";
    }
    return "unknown error";
}

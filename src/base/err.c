/* err.c — messages for the error enum, generated from the same X-macro list. */
#include "base/err.h"

static const char *const messages[] = {
#define HANSA_ERR_MSG(name, msg) msg,
    HANSA_ERR_LIST(HANSA_ERR_MSG)
#undef HANSA_ERR_MSG
};

static const char *const names[] = {
#define HANSA_ERR_NAME(name, msg) #name,
    HANSA_ERR_LIST(HANSA_ERR_NAME)
#undef HANSA_ERR_NAME
};

const char *hansa_strerror(hansa_err err) {
    if ((unsigned)err >= HANSA_ERR_COUNT_) return "unknown error";
    return messages[err];
}

const char *hansa_errname(hansa_err err) {
    if ((unsigned)err >= HANSA_ERR_COUNT_) return "HANSA_ERR_UNKNOWN";
    return names[err];
}

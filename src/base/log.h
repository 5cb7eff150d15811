/* log.h — leveled logging, one line per event, to stderr or a file.
 *
 * Lines look like `2026-11-23T10:00:00.123Z INFO  consensus: committed height=5`.
 * The timestamp comes from the process's clock (see clock.h); code below the
 * I/O layers never reads time itself, the logger does. Never log secrets. */
#ifndef HANSA_BASE_LOG_H
#define HANSA_BASE_LOG_H

#include <stdio.h>

typedef enum { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level;

void log_set_level(log_level level);
log_level log_get_level(void);
/* Parses "trace".."error"/"off"; returns -1 if unknown. */
int log_level_parse(const char *s);
/* Lines go to f (default stderr); the logger does not own f. */
void log_set_file(FILE *f);
/* A prefix put on every line, such as a node name; copied. */
void log_set_prefix(const char *prefix);

void log_write(log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_T(mod, ...) do { if (log_get_level() <= LOG_TRACE) log_write(LOG_TRACE, mod, __VA_ARGS__); } while (0)
#define LOG_D(mod, ...) do { if (log_get_level() <= LOG_DEBUG) log_write(LOG_DEBUG, mod, __VA_ARGS__); } while (0)
#define LOG_I(mod, ...) log_write(LOG_INFO, mod, __VA_ARGS__)
#define LOG_W(mod, ...) log_write(LOG_WARN, mod, __VA_ARGS__)
#define LOG_E(mod, ...) log_write(LOG_ERROR, mod, __VA_ARGS__)

#endif

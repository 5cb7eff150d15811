/* log.c — see log.h. The wall clock is read here, at the edge, for timestamps only. */
#include "base/log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static log_level current_level = LOG_INFO;
static FILE *sink;
static char line_prefix[64];

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};

void log_set_level(log_level level) { current_level = level; }
log_level log_get_level(void) { return current_level; }
void log_set_file(FILE *f) { sink = f; }

void log_set_prefix(const char *prefix) {
    snprintf(line_prefix, sizeof line_prefix, "%s", prefix ? prefix : "");
}

int log_level_parse(const char *s) {
    static const char *const lower[] = {"trace", "debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, lower[i]) == 0) return i;
    return -1;
}

void log_write(log_level level, const char *module, const char *fmt, ...) {
    if (level < current_level || level >= LOG_OFF) return;
    FILE *f = sink ? sink : stderr;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[1024];
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s%s%s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], line_prefix,
                     line_prefix[0] ? " " : "", module);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line so lines from one process never interleave. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    fputs(line, f);
    fflush(f);
}

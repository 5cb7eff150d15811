/* mem.h — allocation that never returns NULL.
 *
 * hansa bounds every allocation driven by untrusted input before making it, so
 * an allocation failure means the machine itself is out of memory. Continuing
 * then risks acting on half-built state; these wrappers abort instead. */
#ifndef HANSA_BASE_MEM_H
#define HANSA_BASE_MEM_H

#include <stddef.h>

void *hansa_malloc(size_t n);
void *hansa_calloc(size_t count, size_t size);
void *hansa_realloc(void *p, size_t n);
/* Returns a malloc'd copy of the n bytes at p (n may be 0). */
void *hansa_memdup(const void *p, size_t n);
/* Returns a malloc'd copy of the NUL-terminated s. */
char *hansa_strdup(const char *s);

#endif

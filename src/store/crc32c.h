/* crc32c.h — CRC-32C (Castagnoli), the checksum of every record on disk.
 *
 * Why CRC-32C and not a truncated SHA-256: the store's checksum guards
 * against accidental damage (a flipped bit on the disk, a torn or misdirected
 * write), not against an attacker who can already rewrite the data file.
 * Against random damage a 32-bit CRC detects every burst up to 32 bits and
 * all but 2^-32 of the rest, and on x86-64 it runs in hardware (SSE4.2
 * `crc32` instruction) at several GB/s, one to two orders of magnitude
 * faster than SHA-256 on a 24 MiB block (figures in docs/storage.md).
 * Adversarial integrity of blocks comes from their hashes, checked above. */
#ifndef HANSA_STORE_CRC32C_H
#define HANSA_STORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC-32C over n more bytes. Start with crc = 0; the result of
 * one call is the `crc` of the next, so crc32c(0, "ab") ==
 * crc32c(crc32c(0, "a"), "b"). Uses the hardware instruction when the CPU
 * has it, else a table-driven software path; both give the same values. */
uint32_t crc32c(uint32_t crc, const void *data, size_t n);

/* The software path alone, so tests can check it against the hardware one. */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t n);

/* "sse4.2" or "software": which path crc32c() takes on this machine. */
const char *crc32c_backend(void);

#endif

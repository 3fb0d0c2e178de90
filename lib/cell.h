/* SPDX-License-Identifier: MPL-2.0 */
/*
 * cell.h - the unit of the heap: a two-word header and its payload.
 *
 * Every byte the heap manages belongs to exactly one cell.  Cells lie back
 * to back in regions (runs of memory from the backend) and link to their
 * physical neighbours:
 *
 *   region:
 *   +--------+---------------+--------+-----------+-- ... --+--------+
 *   | header | payload       | header | payload   |         |sentinel|
 *   +--------+---------------+--------+-----------+-- ... --+--------+
 *   ^ first cell (prev = 0)   ^ next                          ^ 2 words
 *
 *   header word 0, prev_raw: address of the previous cell's header, or 0 in
 *                            the first cell of a region.
 *   header word 1, next_raw: address of the next cell's header, with flags in
 *                            the low bits (cells are 2W-aligned, so there are
 *                            at least three free bits):
 *       CELL_ALLOCATED  the cell is not on the main free list: a neighbour
 *                       must not merge with it.
 *       CELL_SENTINEL   this is the two-word end marker of its region; it
 *                       is always ALLOCATED, so no merge ever crosses it,
 *                       and its next address is 0.
 *       CELL_CACHED     the cell is free on a size-class list (and still
 *                       ALLOCATED as far as the main list is concerned).
 *       CELL_PURGED     the same bit on a free cell (not ALLOCATED): its
 *                       whole pages past its links went back to the system
 *                       and nothing has written to them since.
 *
 * A cell's size (header included) is next - cell: no size field is stored.
 * The payload starts right after the header and is aligned to CELL_ALIGN,
 * C11 malloc's alignment: two words, or max_align_t's where that is more.
 * The two differ on i386 and wasm32 (8 and 16 bytes): there a header starts
 * 8 bytes before a 16-byte boundary, and cell sizes are multiples of 16.
 *
 * A free cell on the main list keeps its bin links in the first two payload
 * words; a cell on a size-class list keeps one link in the first word.
 * That is why a cell is never smaller than CELL_MIN: a header and two words.
 */
#ifndef WEE_CELL_H
#define WEE_CELL_H

#include <stddef.h>
#include <stdint.h>

struct cell {
    uintptr_t prev_raw;
    uintptr_t next_raw;
};

/* The links of a free cell on the main list, in its payload. */
struct free_cell {
    struct cell header;
    struct free_cell *next_free;
    struct free_cell *prev_free;
};

#define WORD            sizeof(void *)
#define CELL_HEADER     (2 * WORD)          /* bytes before every payload */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#  define CELL_ALIGN    (_Alignof(max_align_t) > CELL_HEADER \
                         ? _Alignof(max_align_t) : CELL_HEADER)
#else
#  define CELL_ALIGN    CELL_HEADER         /* C99 has no max_align_t */
#endif
#define CELL_GRANULE    CELL_ALIGN          /* every cell size is a multiple */
/* n rounded up to a multiple of `to`, as a constant expression. */
#define ROUND_UP(n, to) (((n) + (to) - 1) / (to) * (to))
#define CELL_LOG2_GRANULE (CELL_GRANULE == 16 ? 4 : 3)
/* A header and two links, in whole granules. */
#define CELL_MIN        ROUND_UP(sizeof(struct free_cell), CELL_GRANULE)

#define CELL_ALLOCATED  ((uintptr_t)1)
#define CELL_SENTINEL   ((uintptr_t)2)
#define CELL_CACHED     ((uintptr_t)4)
#define CELL_PURGED     CELL_CACHED
#define CELL_FLAGS      ((uintptr_t)7)

_Static_assert(sizeof(struct cell) == CELL_HEADER, "header is two words");
_Static_assert(((size_t)1 << CELL_LOG2_GRANULE) == CELL_GRANULE, "the granule is 8 or 16");
_Static_assert(CELL_MIN % CELL_GRANULE == 0, "the minimum cell is whole granules");
_Static_assert((CELL_HEADER & CELL_FLAGS) == 0 && CELL_ALIGN > CELL_FLAGS,
               "cell addresses leave the flag bits free");

/* Poison bytes written over freed memory when extra assertions are on. */
#define POISON_MAIN     0x57
#define POISON_CLASS    0x35

static inline struct cell *cell_next(const struct cell *c)
{
    return (struct cell *)(c->next_raw & ~CELL_FLAGS);
}

static inline struct cell *cell_prev(const struct cell *c)
{
    return (struct cell *)c->prev_raw;
}

static inline size_t cell_size(const struct cell *c)
{
    return (size_t)((uintptr_t)cell_next(c) - (uintptr_t)c);
}

static inline int cell_is_free(const struct cell *c)
{
    return !(c->next_raw & CELL_ALLOCATED);
}

static inline int cell_has(const struct cell *c, uintptr_t flag)
{
    return (c->next_raw & flag) != 0;
}

/* Point c at a new next cell, keeping c's flags. */
static inline void cell_set_next(struct cell *c, struct cell *next)
{
    c->next_raw = (uintptr_t)next | (c->next_raw & CELL_FLAGS);
}

static inline void *cell_payload(struct cell *c)
{
    return (char *)c + CELL_HEADER;
}

/* A cell waiting on a size-class list or in a thread's cache keeps the
 * next cell of its list in its first payload word. */
static inline struct cell **cell_link(struct cell *c)
{
    return (struct cell **)cell_payload(c);
}

static inline struct cell *cell_of_payload(const void *p)
{
    return (struct cell *)((uintptr_t)p - CELL_HEADER);
}

/* Is c where a cell may start: is its payload aligned? */
static inline int cell_aligned(const struct cell *c)
{
    return (((uintptr_t)c + CELL_HEADER) & (CELL_ALIGN - 1)) == 0;
}

static inline size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) & ~(to - 1);
}

#endif /* WEE_CELL_H */

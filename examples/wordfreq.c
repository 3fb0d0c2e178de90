/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wordfreq.c - strings and a hash table on plain malloc, for
 * libwee_alloc_malloc.
 *
 * The program needs nothing from the C library but malloc, calloc, realloc
 * and free, so that linking libwee_alloc_malloc alone is enough, also where
 * there is no C library at all (wasm32; not wired up yet).  Natively:
 *     cc examples/wordfreq.c $(pkg-config --libs wee_alloc_malloc) -o wordfreq
 *
 * It makes a text of pseudo-words, counts them in a hash table that grows
 * by rehashing (keys are copies made with malloc, the table with calloc, a
 * list of the distinct words grows with realloc), checks every count
 * against the one kept while making the text, frees everything and
 * returns 0, or 1 when a count is wrong.
 */
#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

#define DISTINCT 997        /* word ids: a prime, so ids * k spread */
#define WORDS 60000         /* words in the text */

static const char *const syllables[16] = {
    "wee", "al", "loc", "el", "fin", "wa", "sm", "ka", "ro", "tu", "ni", "po",
    "qua", "ze", "by", "dex"
};

struct entry {
    struct entry *next;
    char *word;
    size_t length;
    unsigned long count;
};

struct table {
    struct entry **buckets;
    size_t size;        /* a power of two */
    size_t used;
};

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i;

    if (alen != blen)
        return 0;
    for (i = 0; i < alen; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static unsigned long hash(const char *s, size_t n)
{
    unsigned long h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The word with this id: its syllables are the id's base-16 digits. */
static size_t spell(unsigned id, char *out)
{
    size_t n = 0;
    unsigned v = id + 1;

    while (v) {
        const char *s = syllables[v % 16];
        while (*s)
            out[n++] = *s++;
        v /= 16;
    }
    out[n] = '\0';
    return n;
}

static int grow(struct table *t)
{
    size_t size = t->size ? t->size * 2 : 16, i;
    struct entry **buckets = calloc(size, sizeof *buckets);

    if (!buckets)
        return -1;
    for (i = 0; i < t->size; i++) {
        struct entry *e = t->buckets[i], *next;
        for (; e; e = next) {
            size_t b = hash(e->word, e->length) & (size - 1);
            next = e->next;
            e->next = buckets[b];
            buckets[b] = e;
        }
    }
    free(t->buckets);
    t->buckets = buckets;
    t->size = size;
    return 0;
}

/* Count one occurrence of s[0..n); a new word is copied.  Returns the
 * entry, or NULL when memory ran out. */
static struct entry *count_word(struct table *t, const char *s, size_t n)
{
    struct entry *e;
    size_t b, i;

    if (t->used >= t->size * 3 / 4 && grow(t) != 0)
        return NULL;
    b = hash(s, n) & (t->size - 1);
    for (e = t->buckets[b]; e; e = e->next)
        if (same(e->word, e->length, s, n)) {
            e->count++;
            return e;
        }
    e = malloc(sizeof *e);
    if (!e || !(e->word = malloc(n + 1))) {
        free(e);
        return NULL;
    }
    for (i = 0; i < n; i++)
        e->word[i] = s[i];
    e->word[n] = '\0';
    e->length = n;
    e->count = 1;
    e->next = t->buckets[b];
    t->buckets[b] = e;
    t->used++;
    return e;
}

int wee_example_wordfreq(void);

int wee_example_wordfreq(void)
{
    unsigned long *expected = calloc(DISTINCT, sizeof *expected);
    struct table t = { NULL, 0, 0 };
    char **seen = NULL;         /* distinct words in order of appearance */
    size_t nseen = 0, i, k, text_len = 0, text_cap = 0;
    char *text = NULL, word[64];
    unsigned long x = 12345;
    int bad = 0;

    if (!expected)
        return 1;
    /* The text: WORDS words separated by single spaces, in a buffer that
     * realloc doubles. */
    for (i = 0; i < WORDS; i++) {
        unsigned id;
        size_t n;
        char *longer;

        x = x * 1103515245u + 12345u;
        id = (unsigned)((x >> 8) % DISTINCT);
        /* Skew it: low ids are much more frequent, as in real text. */
        if (i % 3)
            id %= 31;
        expected[id]++;
        n = spell(id, word);
        if (text_len + n + 2 > text_cap) {
            text_cap = text_cap ? text_cap * 2 : 256;
            longer = realloc(text, text_cap);
            if (!longer)
                return 1;
            text = longer;
        }
        for (k = 0; k < n; k++)
            text[text_len++] = word[k];
        text[text_len++] = ' ';
        text[text_len] = '\0';
    }

    /* Count the words of the text. */
    for (i = 0; i < text_len;) {
        size_t start = i;
        struct entry *e;

        while (text[i] != ' ')
            i++;
        e = count_word(&t, text + start, i - start);
        if (!e)
            return 1;
        if (e->count == 1) {
            char **more = realloc(seen, (nseen + 1) * sizeof *seen);
            if (!more)
                return 1;
            seen = more;
            seen[nseen++] = e->word;
        }
        i++;
    }

    /* Every id's spelling must have been counted exactly as often as it
     * was written; no other word may exist. */
    for (i = 0; i < DISTINCT; i++) {
        size_t n = spell((unsigned)i, word);
        size_t b = hash(word, n) & (t.size - 1);
        struct entry *e = t.buckets[b];
        while (e && !same(e->word, e->length, word, n))
            e = e->next;
        if ((e ? e->count : 0) != expected[i])
            bad = 1;
    }
    if (nseen != t.used)
        bad = 1;

    for (i = 0; i < t.size; i++) {
        struct entry *e = t.buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e->word);
            free(e);
        }
    }
    free(t.buckets);
    free(seen);
    free(text);
    free(expected);
    return bad;
}

#ifndef __wasm__
int main(void)
{
    return wee_example_wordfreq();
}
#endif

/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wordfreq.c - strings and a hash table on plain malloc, for
 * libwee_alloc_malloc.
 *
 * The program needs nothing from the C library but malloc, calloc, realloc
 * and free, and one function to print its report, so that linking
 * libwee_alloc_malloc alone is enough, also where there is no C library at
 * all.  Natively:
 *     cc examples/wordfreq.c $(pkg-config --libs wee_alloc_malloc) -o wordfreq
 * For wasm32 with no C library, against a wasm32-unknown-none build of the
 * library (README.md, "Drop-in malloc"):
 *     clang --target=wasm32 -O2 -ffreestanding -nostdlib -Wl,--no-entry \
 *         examples/wordfreq.c -L/path/to/lib -lwee_alloc_malloc -o wordfreq.wasm
 *     node tests/run-wasm.mjs wordfreq.wasm
 * The module then exports wee_test_main (its main) and imports only
 * env.wee_test_write, the write function of tests/run-wasm.mjs.
 *
 * It makes a text of pseudo-words, counts them in a hash table that grows
 * by rehashing (keys are copies made with malloc, the table with calloc, a
 * list of the distinct words grows with realloc), checks every count
 * against the one kept while making the text, prints the most frequent
 * words (a report built in a string that realloc grows), frees everything
 * and returns 0, or 1 when a count is wrong or memory ran out.
 */
#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

/* Print n bytes of s to standard output. */
#if defined(__wasm__) && !defined(__wasi__)
/* No C library: the host gives the write function. */
__attribute__((import_module("env"), import_name("wee_test_write")))
int host_write(int fd, const void *p, size_t n);

static void print(const char *s, size_t n)
{
    host_write(1, s, n);
}
#else
#  include <stdio.h>

static void print(const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
    fflush(stdout);
}
#endif

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

/* A string that grows with realloc: the report is built in one. */
struct text {
    char *bytes;
    size_t len, cap;
};

static int append(struct text *t, const char *s, size_t n)
{
    size_t i;

    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 16;
        char *longer;

        while (cap < t->len + n)
            cap *= 2;
        longer = realloc(t->bytes, cap);
        if (!longer)
            return -1;
        t->bytes = longer;
        t->cap = cap;
    }
    for (i = 0; i < n; i++)
        t->bytes[t->len++] = s[i];
    return 0;
}

static int append_str(struct text *t, const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return append(t, s, n);
}

static int append_num(struct text *t, unsigned long v)
{
    char digits[24];
    size_t i = sizeof digits;

    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return append(t, digits + i, sizeof digits - i);
}

/* Whether entry a comes before b in the report: more frequent first, then
 * in byte order, so that the report is the same on every host. */
static int before(const struct entry *a, const struct entry *b)
{
    size_t i;

    if (a->count != b->count)
        return a->count > b->count;
    for (i = 0; i < a->length && i < b->length; i++)
        if (a->word[i] != b->word[i])
            return (unsigned char)a->word[i] < (unsigned char)b->word[i];
    return a->length < b->length;
}

#define REPORT_WORDS 5

/* The report: totals, then the REPORT_WORDS most frequent words. */
static int report(const struct table *t, size_t words)
{
    const struct entry *top[REPORT_WORDS] = { NULL };
    struct text out = { NULL, 0, 0 };
    size_t i, k, n = 0;
    int status = 0;

    for (i = 0; i < t->size; i++) {
        const struct entry *e;
        for (e = t->buckets[i]; e; e = e->next) {
            /* Insert e into top[0..n), which stays sorted. */
            for (k = n; k > 0 && before(e, top[k - 1]); k--)
                if (k < REPORT_WORDS)
                    top[k] = top[k - 1];
            if (k < REPORT_WORDS) {
                top[k] = e;
                if (n < REPORT_WORDS)
                    n++;
            }
        }
    }
    if (append_str(&out, "wordfreq: ") || append_num(&out, words)
        || append_str(&out, " words, ") || append_num(&out, t->used)
        || append_str(&out, " distinct; the most frequent:\n"))
        status = 1;
    for (k = 0; k < n && !status; k++)
        if (append_str(&out, "  ") || append(&out, top[k]->word, top[k]->length)
            || append_str(&out, " ") || append_num(&out, top[k]->count)
            || append_str(&out, "\n"))
            status = 1;
    if (!status)
        print(out.bytes, out.len);
    free(out.bytes);
    return status;
}

static int wordfreq(void)
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

        /* 32 bits wherever unsigned long is wider: the same text, and
         * so the same report, on every host. */
        x = (x * 1103515245u + 12345u) & 0xffffffffu;
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
    if (report(&t, WORDS))
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

#if defined(__wasm__) && !defined(__wasi__)
/* With no C library the host calls this instead of main. */
__attribute__((export_name("wee_test_main"))) int wee_test_main(void);

int wee_test_main(void)
{
    return wordfreq();
}
#else
int main(void)
{
    return wordfreq();
}
#endif

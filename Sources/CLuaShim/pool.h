// Small blocks for Lua: strings, tables, closures and their parts are most
// of what a Lua state allocates, and malloc spends ~70 instructions on each
// of them (most are fresh at start-up, so its per-thread cache misses).
// Blocks up to LH_POOL_LARGEST bytes come from 16-byte size classes carved
// out of 64 KiB chunks; a freed block goes on its class's list. Lua always
// says a block's size when it frees or resizes it, so no header is needed:
// a block's size class tells where it came from.
#ifndef LH_POOL_H
#define LH_POOL_H

#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LH_POOL_OFF 1  // AddressSanitizer sees every Lua object as a malloc block
#endif
#endif

#ifdef LH_POOL_OFF
#define LH_POOL_LARGEST 0
#else
#define LH_POOL_LARGEST 256
#endif
#define LH_POOL_STEP 16  // also the alignment of every block
#define LH_POOL_CLASSES (256 / LH_POOL_STEP)

typedef struct {
    void *free[LH_POOL_CLASSES];  // freed blocks of each class, linked through their first word
    char *next, *end;             // the unused rest of the newest chunk
    void *chunks;                 // every chunk, linked through their first word
} lh_pool;

static inline size_t lh_pool_class(size_t size) { return (size - 1) / LH_POOL_STEP; }

// A block of a new chunk (NULL when malloc fails).
void *lh_pool_refill(lh_pool *pool, size_t size_class);
// Gives every chunk back to malloc.
void lh_pool_release(lh_pool *pool);
// A Lua allocator's resize of a block of `old` bytes (ptr NULL: a new
// block) to nsize > 0 bytes: a block's size says where it lives, in the
// pool up to LH_POOL_LARGEST bytes, else in malloc; a resize across that
// line moves it. NULL when there is no memory.
void *lh_pool_resize(lh_pool *pool, void *ptr, size_t old, size_t nsize);
// Frees a block of `size` bytes from lh_pool_resize (NULL: nothing).
void lh_pool_give_back(lh_pool *pool, void *ptr, size_t size);

// A block of `size` bytes, 0 < size <= LH_POOL_LARGEST.
static inline void *lh_pool_alloc(lh_pool *pool, size_t size) {
    size_t c = lh_pool_class(size);
    void *block = pool->free[c];
    if (block) {
        pool->free[c] = *(void **)block;
        return block;
    }
    size_t bytes = (c + 1) * LH_POOL_STEP;
    if ((size_t)(pool->end - pool->next) >= bytes) {
        block = pool->next;
        pool->next += bytes;
        return block;
    }
    return lh_pool_refill(pool, c);
}

// Takes back a block that was allocated with `size` (or a larger size).
static inline void lh_pool_free(lh_pool *pool, void *block, size_t size) {
    size_t c = lh_pool_class(size);
    *(void **)block = pool->free[c];
    pool->free[c] = block;
}

#endif

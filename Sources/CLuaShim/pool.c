// The slow paths of pool.h: a new chunk, and giving all chunks back.
#include "pool.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

void *lh_pool_refill(lh_pool *pool, size_t size_class) {
    char *chunk = (char *)malloc(CHUNK);
    if (chunk == NULL) return NULL;
    *(void **)chunk = pool->chunks;
    pool->chunks = chunk;
    // The first LH_POOL_STEP bytes hold the link; the rest of the old
    // chunk (less than the block asked for) is left unused.
    char *block = chunk + LH_POOL_STEP;
    pool->next = block + (size_class + 1) * LH_POOL_STEP;
    pool->end = chunk + CHUNK;
    return block;
}

void lh_pool_release(lh_pool *pool) {
    void *chunk = pool->chunks;
    while (chunk) {
        void *next = *(void **)chunk;
        free(chunk);
        chunk = next;
    }
    pool->chunks = NULL;
    pool->next = pool->end = NULL;
    for (size_t c = 0; c < LH_POOL_CLASSES; c++) pool->free[c] = NULL;
}

void *lh_pool_resize(lh_pool *pool, void *ptr, size_t old, size_t nsize) {
    int was_small = ptr && old <= LH_POOL_LARGEST, small = nsize <= LH_POOL_LARGEST;
    if (ptr == NULL) return small ? lh_pool_alloc(pool, nsize) : malloc(nsize);
    if (!was_small && !small) return realloc(ptr, nsize);
    if (was_small && small && lh_pool_class(old) == lh_pool_class(nsize)) return ptr;
    void *p = small ? lh_pool_alloc(pool, nsize) : malloc(nsize);
    if (p == NULL) {
        // Lua counts on a shrink never failing. Keeping the block is safe:
        // it is larger than the class it will be freed into.
        return nsize < old ? ptr : NULL;
    }
    memcpy(p, ptr, old < nsize ? old : nsize);
    if (was_small) lh_pool_free(pool, ptr, old); else free(ptr);
    return p;
}

void lh_pool_give_back(lh_pool *pool, void *ptr, size_t size) {
    if (ptr == NULL) return;
    if (size <= LH_POOL_LARGEST) lh_pool_free(pool, ptr, size); else free(ptr);
}

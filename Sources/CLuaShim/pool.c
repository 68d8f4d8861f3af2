// The slow paths of pool.h: a new chunk, and giving all chunks back.
#include "pool.h"

#include <stdlib.h>

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

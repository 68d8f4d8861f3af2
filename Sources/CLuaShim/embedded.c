// Loading the stdlib's bytecode from the binary. The build embeds it in
// Swift string literals (Sources/EmbedTool, byteLiteral), which must be
// UTF-8: each byte's low seven bits, then the high bits of each group of
// eight bytes as two characters '@'...'O'. This reader puts the bytes
// together again while Lua reads, a block at a time, eight bytes a step:
// a first query loads ~35 KB of bytecode, so this is on the start-up path.
#include "lh.h"

#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "embedded.c puts bytes together as little-endian words"
#endif

// SPREAD(m): the eight bits of m as bit 7 of bytes 0-7 (little-endian).
#define BIT(m, j) ((uint64_t)(((m) >> (j)) & 1) << (8 * (j) + 7))
#define SPREAD(m) (BIT(m, 0) | BIT(m, 1) | BIT(m, 2) | BIT(m, 3) | BIT(m, 4) | BIT(m, 5) | BIT(m, 6) | BIT(m, 7))
#define S4(m) SPREAD(m), SPREAD((m) + 1), SPREAD((m) + 2), SPREAD((m) + 3)
#define S16(m) S4(m), S4((m) + 4), S4((m) + 8), S4((m) + 12)
#define S64(m) S16(m), S16((m) + 16), S16((m) + 32), S16((m) + 48)
static const uint64_t spread[256] = {S64(0), S64(64), S64(128), S64(192)};

typedef struct {
    const unsigned char *low, *high;  // the two parts of the literal
    size_t done, bytes;               // bytes given to Lua so far, of all
    unsigned char block[4096];        // a multiple of 8
} embedded_reader;

// Bytes [at, at + count) of the chunk, count <= 8, into out.
static void put_together(const embedded_reader *r, size_t at, size_t count, unsigned char *out) {
    const unsigned char *high = r->high + at / 8 * 2;
    uint64_t word = 0;
    memcpy(&word, r->low + at, count);
    word |= spread[(high[0] & 15) | (high[1] & 15) << 4];
    memcpy(out, &word, count);
}

static const char *read_embedded(lua_State *L, void *ud, size_t *size) {
    (void)L;
    embedded_reader *r = (embedded_reader *)ud;
    size_t n = r->bytes - r->done, at = 0;
    if (n > sizeof r->block) n = sizeof r->block;
    for (; at + 8 <= n; at += 8) put_together(r, r->done + at, 8, r->block + at);
    if (at < n) put_together(r, r->done + at, n - at, r->block + at);  // the chunk's last bytes
    r->done += n;
    *size = n;
    return n ? (const char *)r->block : NULL;
}

int lh_load_embedded(lua_State *L, const char *literal, size_t length, size_t bytes, const char *chunkname) {
    if (length != bytes + 2 * ((bytes + 7) / 8)) {
        lua_pushfstring(L, "%s: embedded bytecode is damaged", chunkname);
        return LUA_ERRSYNTAX;
    }
    embedded_reader r;
    r.low = (const unsigned char *)literal;
    r.high = r.low + bytes;
    r.done = 0;
    r.bytes = bytes;
    return lua_load(L, read_embedded, &r, chunkname, "b");
}

#!/bin/sh
# Benchmarks/startup-order.sh: rewrites Benchmarks/startup.order, the text
# sections of the functions that labsh runs from exec to its first Lua chunk.
# `make build` hands the file to the linker (gold's --section-ordering-file),
# which places them side by side: start-up then touches a few pages of the
# binary instead of pages all over the Swift runtime (less memory and time).
# A stale name only costs that benefit. Rerun after changing the start-up path
# or the toolchain, then `make build`. Needs valgrind. BUILD_DIR as in make.
set -eu
export LC_ALL=C
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "$0: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
build=${BUILD_DIR:-.build}
out=Benchmarks/startup.order
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. Benchmarks/lib.sh

# A release build that also writes the link map: which input section holds what.
make -s build BUILD_DIR="$build" LINK_MAP="$tmp/labsh.map" >&2
sed -n 's/^ \(\.text\.[^ ]*\).*/\1/p' "$tmp/labsh.map" | sort -u > "$tmp/sections"
[ -s "$tmp/sections" ] || die "the link map lists no .text sections (was the build linked with a map?)"

# valgrind cannot read the DWARF that swiftc writes: profile a stripped copy.
strip -g -o "$tmp/labsh" "$build/release/labsh"
: > "$tmp/empty.lua"
profile() {  # the labsh functions that run for these arguments, one a line
    eval "valgrind -q --tool=callgrind --demangle=no --callgrind-out-file=$tmp/cg $tmp/labsh $1" >/dev/null
    # "  1,234 (0.12%)  ???:NAME [/path/labsh]"; NAME'2 is a recursion of NAME
    callgrind_annotate --threshold=100 "$tmp/cg" |
        sed -n "s|^ *[0-9,]* ([^)]*) *[^ ]*:\([^ ]*\) \[$tmp/labsh\]\$|\1|p" |
        sed "s/'[0-9]*\$//"
}

# A function's section: .text.NAME, or .text.unlikely.NAME (cold code),
# .text.startup.NAME (static constructors); a C++ constructor or destructor
# runs under its C1/D1 name from the C2/D2 section. Keep the ones that exist.
sections_of() {
    sort -u | sed -e 'p; s/^\(_Z.*[CD]\)1E/\12E/' | sort -u |
        sed -e 's/^/.text./; p; s/^\.text\./.text.unlikely./; p; s/^\.text\.unlikely\./.text.startup./' |
        { cat; echo .text.startup; } | sort -u | comm -12 - "$tmp/sections"
}

# Start-up first; then, apart, what loading the built-in homelab adds
# (`#lab.nodes()`), so start-up keeps its few pages.
{ profile "-e ''"; profile "$tmp/empty.lua"; } | sections_of > "$tmp/first"
# An empty order would silently undo the benefit: stop instead.
[ -s "$tmp/first" ] || die "the start-up profile matched no section of the link map"
profile "-e 'return #lab.nodes()'" | sections_of | comm -23 - "$tmp/first" > "$tmp/second"
# Last, what a library script adds at its start (issue 20): the trust check,
# the frozen libraries, its manifest, its library's grants file.
mkdir -p "$tmp/lib/scripts" "$tmp/config/labsh/grants"
echo 'return { name = "order", version = "1.0.0", labsh = ">= 0.1", description = "start-up order" }' > "$tmp/lib/library.lua"
echo 'return labsh.script { name = "start", version = "1.0.0", description = "x",
  requires = { net = { "127.0.0.1:1" } }, run = function() end }' > "$tmp/lib/scripts/start.lua"
echo 'return { ["*"] = { net = { "127.0.0.1:*" } } }' > "$tmp/config/labsh/grants/order.lua"
export LABSH_STATE_DIR="$tmp/state" XDG_CONFIG_HOME="$tmp/config" LABSH_PATH="$tmp/lib"
sleep 0.1  # older than the trust record: its files' identities are compared, as from cron
"$tmp/labsh" -m library trust "$tmp/lib" --yes > /dev/null || die "cannot trust the start-up order's library"
sort "$tmp/first" "$tmp/second" > "$tmp/before"
profile "-m start" | sections_of | comm -23 - "$tmp/before" > "$tmp/third"
cat "$tmp/first" "$tmp/second" "$tmp/third" > "$out"
echo "$out: $(wc -l < "$out") sections; now \`make build\`" >&2

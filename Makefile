# labsh: make run | make test | make bench | make install PREFIX=/usr/local
SWIFT       ?= swift
PREFIX      ?= /usr/local
RELEASE_BIN := .build/release/labsh
DEBUG_BIN   := .build/debug/labsh
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: build (headers), tests (the real lua, its C modules,
# tmux for the REPL test) and benchmarks (hyperfine).
APT_PACKAGES := pkg-config liblua5.4-dev libreadline-dev libcurl4-openssl-dev \
                lua5.4 lua-lpeg lua-cjson tmux hyperfine

.PHONY: all deps build run test test-swift test-lua bench install asan clean

all: build

# Install only what is missing; apt-get update once, only if needed.
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --static-swift-stdlib

run: build
	$(RELEASE_BIN) -m demo

test: deps
	$(SWIFT) build --build-tests
	LABSH_BIN=$(CURDIR)/$(DEBUG_BIN) $(SWIFT) test --skip-build
	$(DEBUG_BIN) Tests/lua/run.lua Tests/lua/*_spec.lua

bench: build
	Benchmarks/run.sh $(RELEASE_BIN)

# The bridge tests under AddressSanitizer, in a build folder of their own.
asan: deps
	$(SWIFT) test --scratch-path .build-asan -Xswiftc -sanitize=address --filter LuaHostTests

install: build
	install -D -m 755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/labsh

clean:
	rm -rf .build .build-asan

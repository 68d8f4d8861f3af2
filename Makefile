# labsh: make run | make test | make bench | make install PREFIX=/usr/local
SWIFT       ?= swift
PREFIX      ?= /usr/local
BUILD_DIR   ?= .build
RELEASE_BIN := $(BUILD_DIR)/release/labsh
DEBUG_BIN   := .build/debug/labsh
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: build (headers), tests (the real lua, its C modules,
# tmux for the REPL test, restic, the monitoring servers and promtool/amtool,
# tzdata and systemd-analyze for the schedule tests, chromium for the HTML
# report, OpenSSH server and client and sudo for the SSH test hosts,
# python3-proxmoxer to check the Proxmox VE simulator) and benchmarks (hyperfine).
APT_PACKAGES := pkg-config liblua5.4-dev libreadline-dev libncurses-dev libcurl4-openssl-dev \
                lua5.4 lua-lpeg lua-cjson tmux hyperfine time bind9-utils restic \
                prometheus prometheus-node-exporter prometheus-alertmanager prometheus-pushgateway prometheus-blackbox-exporter \
                tzdata systemd chromium openssh-server openssh-client sudo python3-proxmoxer lua-check

.PHONY: all deps build run test test-swift test-lua test-pve-sim bench install asan clean homelab-model

all: build

# Install only what is missing; apt-get update once, only if needed.
# ansible-core (ansible-inventory, for the Ansible export test), croniter
# (the reference for cron schedules) and kubernetes-validate (the CronJobs of
# jobs export --kubernetes) come from PyPI.
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@command -v ansible-inventory >/dev/null 2>&1 || { echo "installing: ansible-core (PyPI)"; \
	  python3 -m pip install --quiet ansible-core && { ! command -v pyenv >/dev/null || pyenv rehash; }; }
	@python3 -c 'import croniter' 2>/dev/null || { echo "installing: croniter (PyPI)"; \
	  python3 -m pip install --quiet croniter; }
	@command -v kubernetes-validate >/dev/null 2>&1 || { echo "installing: kubernetes-validate (PyPI)"; \
	  python3 -m pip install --quiet kubernetes-validate && { ! command -v pyenv >/dev/null || pyenv rehash; }; }

# The release binary starts about as fast and small as lua5.4 (`labsh -e ''`):
# few shared objects to map and relocate, and the code that runs before Lua
# packed into a few pages instead of spread over 4 MB of Swift runtime.
# - libstdc++, libgcc, readline and tinfo are linked in statically. swift
#   build has no -Bstatic, so LINK_DIR holds libNAME.so linker scripts that
#   name the archives, searched first (it heads the lua5.4.pc made here).
# - Lua is linked in as one object, lua.o, exporting only lua_*, luaL_* and
#   luaopen_* (lua.dynlist) to C modules such as lpeg and cjson, as lua5.4
#   does; -llua5.4 finds an empty archive. Nothing else is exported.
# - Benchmarks/startup.order names the functions that run at start-up (made
#   by Benchmarks/startup-order.sh); gold lays them out side by side. Every
#   function has a section of its own (-function-sections): without it the
#   compiler's specializations and closures share each file's .text, which
#   the linker cannot split, and start-up touched ~8 more 64 KB windows
#   (the kernel maps a cached file 64 KB around each fault): 4.6 -> 4.1 MB.
#   SwiftPM does not recompile for a changed flag: after changing these,
#   delete the release *.swift.o files.
# - Not position-independent (PIE costs ~0.7 MB of relocated pages), and no
#   $ORIGIN rpath (no library search beside the binary).
# - The Swift runtime's command-line file is not linked in: its constructor
#   parsed /proc/self/maps before main; Sources/CLuaShim/argv.c stands in.
# - The linked binary is then replaced by a copy of itself, as installing it
#   would: the file the linker wrote started 0.1-0.6 ms slower than any
#   copy of it, run after run, and by a different amount each build (its
#   pages' state in the page cache is the likely cause; measured with gold
#   writing through a memory map and with write()). A copy starts the same
#   every time; read back from disk after the page cache dropped it, it
#   starts ~0.1 ms slower than the copy as written.
LINK_DIR := $(abspath $(BUILD_DIR))/link
RELEASE_FLAGS := --static-swift-stdlib --disable-local-rpath \
	-Xswiftc -Xclang-linker -Xswiftc -no-pie \
	-Xswiftc -Xclang-linker -Xswiftc -static-libgcc \
	-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
	-Xlinker $(LINK_DIR)/lua.o \
	-Xlinker --no-export-dynamic -Xlinker --dynamic-list=$(LINK_DIR)/lua.dynlist \
	-Xlinker --section-ordering-file=$(CURDIR)/Benchmarks/startup.order \
	$(if $(LINK_MAP),-Xlinker -Map=$(LINK_MAP))

build: deps
	@mkdir -p $(LINK_DIR)
	@echo "INPUT($$($(CC) -print-file-name=libstdc++.a))" > $(LINK_DIR)/libstdc++.so
	@echo "INPUT($$($(CC) -print-file-name=libreadline.a) $$($(CC) -print-file-name=libtinfo.a))" \
	  > $(LINK_DIR)/libreadline.so
	@ld -r --whole-archive $$($(CC) -print-file-name=liblua5.4.a) -o $(LINK_DIR)/lua.o
	@rm -f $(LINK_DIR)/liblua5.4.a && ar rc $(LINK_DIR)/liblua5.4.a
	@printf '{ lua_*; luaL_*; luaopen_*; };\n' > $(LINK_DIR)/lua.dynlist
	@printf 'Name: lua5.4\nDescription: Lua, linked in from lua.o\nVersion: 5.4\nCflags: %s\nLibs: -L%s -llua5.4\n' \
	  "$$(pkg-config --cflags lua5.4)" "$(LINK_DIR)" > $(LINK_DIR)/lua5.4.pc
	PKG_CONFIG_PATH=$(LINK_DIR) $(SWIFT) build -c release --scratch-path $(BUILD_DIR) $(RELEASE_FLAGS)
	@cp -p $(RELEASE_BIN) $(RELEASE_BIN).copy && mv -f $(RELEASE_BIN).copy $(RELEASE_BIN)

run: build
	$(RELEASE_BIN) -m report

# The tests run against real Prometheus, node_exporter, Alertmanager and
# Pushgateway on free loopback ports (Tests/servers/servers.py), stopped again
# also when a test fails. The Lua runner's summary line comes last.
test: deps
	$(SWIFT) build --build-tests
	Tests/run-with-servers.sh $(MAKE) --no-print-directory test-pve-sim test-swift test-lua

# The Proxmox VE simulator's own checks (Tests/pve/): its seed against labsh's
# homelab, its behaviour, and an independent client (Debian's proxmoxer, so
# Debian's python3) against the instance the servers run.
test-pve-sim:
	python3 Tests/pve/make_seed.py --check $(DEBUG_BIN)
	python3 Tests/pve/test_sim.py
	/usr/bin/python3 Tests/pve/check_with_proxmoxer.py

test-swift:
	LABSH_BIN=$(CURDIR)/$(DEBUG_BIN) $(SWIFT) test --skip-build

test-lua:
	$(DEBUG_BIN) Tests/lua/run.lua Tests/lua/*_spec.lua

bench: build
	Benchmarks/run.sh $(RELEASE_BIN)

# After editing stdlib/labsh/homelab.lua: the validated copy labsh embeds
# (make test fails while it is stale).
homelab-model: build
	$(RELEASE_BIN) tools/homelab-model.lua stdlib/labsh

# The bridge tests under AddressSanitizer, in a build folder of their own.
asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp \
	  $(SWIFT) test --scratch-path .build-asan -Xswiftc -sanitize=address -Xcc -fsanitize=address --filter LuaHostTests

install: build
	install -D -m 755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/labsh

clean:
	rm -rf .build .build-asan

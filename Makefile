# halobox: the one entry point. `make` builds the launcher, `make check` runs
# every test (unit tests twice: plain and with ASan+UBSan; black-box tests
# against fixture hosts and this machine), `make fuzz` fuzzes the parsers for
# a bounded time, `make bench` measures the speed targets.

CC         ?= cc
PKG_CONFIG ?= pkg-config
PREFIX     ?= /usr/local
BUILD      ?= build
CFLAGS     ?= -O2 -g
SANITIZE   ?=
FUZZ_SECONDS ?= 30
# Where `make install` puts recipes/, containers/, engine/ and patches/: what
# `halobox build` reads when it is not run from a checkout.
DATADIR    ?= $(PREFIX)/share/halobox
REGISTRY   ?=

# cJSON for all JSON. libcrypto (sha256), libcurl (downloads) and
# libarchive (bench export/import) are loaded at run time by the commands
# that need them (util/sha256.c, util/curl_dl.c, util/archive_dl.c): only
# libcurl's headers are needed to build; where libarchive's are installed
# (libarchive-dev), util/archive_dl.c checks its declarations against them.
PKGS     := libcjson
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) libcurl 2>/dev/null) \
              $(shell $(PKG_CONFIG) --cflags libarchive 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lcjson)

STRICT   := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
            -Wstrict-prototypes -Wno-format-nonliteral
CPPFLAGS += -Ilauncher -D_GNU_SOURCE $(PKG_CFLAGS)
# -fno-math-errno: nothing reads errno after maths, and sqrt then compiles to
# one instruction, so the launcher does not load libm at every start.
ALL_CFLAGS = $(STRICT) -fno-math-errno $(CFLAGS) $(SANITIZE) -MMD -MP
LDLIBS   += $(PKG_LIBS) -ldl

SRC      := $(sort $(shell find launcher -name '*.c'))
# The program is main.c and the commands (cmd_*.c) over a library of the
# rest, which the unit tests link against.
CMD_SRC  := launcher/main.c $(filter launcher/cmd_%.c,$(SRC))
LIB_SRC  := $(filter-out $(CMD_SRC),$(SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

.PHONY: all check unit blackbox asan-unit fuzz bench bench-rpc format format-check install clean deps \
        base images

all: $(BUILD)/halobox

$(BUILD)/halobox: $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/launcher/recipes.o: CPPFLAGS += -DHALOBOX_DATADIR='"$(DATADIR)"'
# Where 'halobox images pull' looks when neither --from nor HALOBOX_REGISTRY
# says: a packager sets REGISTRY=ghcr.io/OWNER/halobox (the images
# workflow's repository); empty, pull asks for one.
$(BUILD)/launcher/cmd_images_pull.o: CPPFLAGS += -DHALOBOX_REGISTRY_DEFAULT='"$(REGISTRY)"'

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(TEST_HELPER_SRC) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(TEST_HELPER_SRC) $(LIB_OBJ) \
	    $(LDFLAGS) $(LDLIBS)

unit-bins: $(UNIT_BIN) $(BUILD)/halobox

# Every test, as README.md says. The runner prints one summary line
# ("N passed, N failed") and fails when any test failed or could not run.
check: all
	$(MAKE) --no-print-directory BUILD=build/asan \
	    SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    CFLAGS="-O1 -g" unit-bins
	$(MAKE) --no-print-directory unit-bins
	tests/run-all

fuzz:
	tests/fuzz/run $(FUZZ_SECONDS)

bench: all
	tests/bench/run

# tokens/s over llama.cpp RPC (two workers in network namespaces) against
# one node; also the last part of `make bench`.
bench-rpc: all
	tests/bench/rpc

FORMAT_FILES = $(SRC) $(shell find launcher tests -name '*.h') $(wildcard tests/unit/*.c tests/fuzz/*.c tests/fixtures/*/*.c)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES)

install: all
	install -D -m 0755 $(BUILD)/halobox $(DESTDIR)$(PREFIX)/bin/halobox
	install -D -m 0644 docs/halobox.1 $(DESTDIR)$(PREFIX)/share/man/man1/halobox.1
	mkdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	$(BUILD)/halobox completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/halobox
	install -d $(DESTDIR)$(DATADIR)/recipes $(DESTDIR)$(DATADIR)/containers \
	    $(DESTDIR)$(DATADIR)/engine $(DESTDIR)$(DATADIR)/patches
	install -m 0644 recipes/*.json recipes/README.md $(DESTDIR)$(DATADIR)/recipes/
	install -m 0644 containers/*.Containerfile $(DESTDIR)$(DATADIR)/containers/
	install -m 0755 containers/halobox-selftest $(DESTDIR)$(DATADIR)/containers/
	install -m 0644 engine/llama.cpp.pin $(DESTDIR)$(DATADIR)/engine/
	install -m 0755 engine/build $(DESTDIR)$(DATADIR)/engine/
	install -m 0644 patches/series patches/README.md $(wildcard patches/*.patch) \
	    $(DESTDIR)$(DATADIR)/patches/

# The Debian base image the Debian recipes build FROM: pulled where a
# registry answers, else bootstrapped with mmdebstrap from this host's apt
# mirror as localhost/debian:sid (scripts/make-base; FORCE=1 makes it again).
base:
	scripts/make-base $(if $(FORCE),--force)

# The engine images (halobox build). IMAGES picks recipes (default: all of
# them; the upstream ones need the network); MIRROR=URL installs Debian
# packages from that mirror instead of the recipes' snapshot, e.g. offline:
#   make images IMAGES="vulkan-radv cpu" MIRROR=http://deb.debian.org/debian
IMAGES ?= --all
images: all base
	$(BUILD)/halobox build $(IMAGES) $(if $(MIRROR),--mirror $(MIRROR))

# Installs the build and test dependencies (apt or dnf, sudo when not root).
deps:
	scripts/install-deps

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

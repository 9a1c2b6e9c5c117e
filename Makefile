# memgrid build.  `make` builds build/memgrid; `make run` starts a member on
# 127.0.0.1:5701; `make test` runs every test (unit, fuzz, integration, with
# and without sanitizers).  See README.md.

CC       ?= cc
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
INCS     := -Iinclude -Isrc
DEPS_PC  := libuv yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(DEPS_PC) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(DEPS_PC) 2>/dev/null || echo -luv -lyaml)
LIBS     := $(PKG_LIBS) -lpthread -lm

OPT      ?= -O2 -g

# `make` alone builds the member (the flavour rules below would otherwise
# make the library the default goal).
.DEFAULT_GOAL := all
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRCS := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
CLI_SRCS := src/cli/main.c
CLIENT_CLI_SRCS := src/cli/client.c
UNIT_SRCS := $(wildcard test/unit/test_*.c)

# Two build flavours share the rules: build/ (release) and build-san/ (ASan+UBSan).
define flavour
$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CSTD) $$(WARN) $(2) $$(INCS) $$(PKG_CFLAGS) -MMD -MP -c $$< -o $$@

$(1)/libmemgrid.a: $$(patsubst %.c,$(1)/%.o,$$(LIB_SRCS))
	@rm -f $$@
	ar rcsP $$@ $$^

$(1)/memgrid: $$(patsubst %.c,$(1)/%.o,$$(CLI_SRCS)) $(1)/libmemgrid.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)

$(1)/memgrid-cli: $$(patsubst %.c,$(1)/%.o,$$(CLIENT_CLI_SRCS)) $(1)/libmemgrid.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)

$(1)/test/unit/%: $(1)/test/unit/%.o $(1)/libmemgrid.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS) -lcmocka

-include $$(shell find $(1) -name '*.d' 2>/dev/null)
endef

$(eval $(call flavour,build,$(OPT)))
$(eval $(call flavour,build-san,-O1 -g $(SAN)))

# memgrid-bench's Redis / memcached protocol code is tested as a unit too.
build/test/unit/test_kvproto: build/bench/loadgen/kvproto.o
build-san/test/unit/test_kvproto: build-san/bench/loadgen/kvproto.o

UNIT_BINS     := $(patsubst test/unit/%.c,build/test/unit/%,$(UNIT_SRCS))
UNIT_BINS_SAN := $(patsubst test/unit/%.c,build-san/test/unit/%,$(UNIT_SRCS))

.PHONY: all san deps run test unit unit-san fuzz integration clean codegen cluster bench
all: build/memgrid build/memgrid-cli
san: build-san/memgrid build-san/memgrid-cli

deps:
	@./tools/install-deps.sh

run: deps build/memgrid
	./build/memgrid

# Three members on 127.0.0.1:5701-5703 (tools/cluster.sh); Ctrl-C stops them.
cluster: build/memgrid
	./tools/cluster.sh

unit: $(UNIT_BINS)
	@./tools/run-unit.sh $(UNIT_BINS)

unit-san: $(UNIT_BINS_SAN)
	@./tools/run-unit.sh $(UNIT_BINS_SAN)

fuzz:
	@./fuzz/run.sh

integration: build/memgrid build-san/memgrid build-san/memgrid-cli build/memgrid-bench
	@./test/run-integration.sh

test: deps
	$(MAKE) all san $(UNIT_BINS) $(UNIT_BINS_SAN)
	$(MAKE) unit unit-san fuzz integration

# Regenerates src/proto/codecs/ from the official protocol definitions, which
# live outside the project (../shared/protocol by default).
PROTOCOL_DIR ?= ../shared/protocol/hazelcast-client-protocol
codegen:
	python3 tools/gen_codecs.py --defs $(PROTOCOL_DIR)/protocol-definitions --out src/proto/codecs

# memgrid-bench, the load generator (bench/loadgen), and `make bench`, the
# side-by-side run against Hazelcast 5.7 (bench/compare, docs/benchmarks.md).
BENCH_SRCS := $(shell find bench/loadgen -name '*.c' | sort)
build/memgrid-bench: $(patsubst %.c,build/%.o,$(BENCH_SRCS)) build/libmemgrid.a
	$(CC) $(OPT) -o $@ $^ $(LIBS)

# The cost per entry of a store walk as a migration copy makes it.
build/store-walk: build/bench/micro/store_walk.o build/libmemgrid.a
	$(CC) $(OPT) -o $@ $^ $(LIBS)

bench: build/memgrid build/memgrid-bench build/store-walk
	./bench/compare

clean:
	rm -rf build build-san

# nginx-edge-auth build.
#
#   make                      the module against Debian's nginx (nginx-dev), plus the edge-auth tool
#   make NGINX_SRC=/path      the module against an nginx source tree instead
#   make test                 every test: unit (Check), integration (t/*.t), ASan/UBSan, fuzz smoke
#   make unit | integration | test-asan | fuzz | bench | demo
#
# The C++ core is built as its own static library with its own flags (C++17, -Werror); the nginx
# build only compiles the C glue in src/ngx/ and links that library (see ./config).

BUILD        ?= build
NGINX_SRC    ?=
SAN          ?=
CXX          ?= g++
CC           ?= gcc
TESTVECTORS  ?= $(abspath ../shared/testvectors)
FUZZ_SECONDS ?= 60
PROVE_JOBS   ?= 1

export TESTVECTORS

SANITIZERS    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_FLAGS     := $(if $(SAN),$(SANITIZERS))
CORE_CXXFLAGS := -std=c++17 -O2 -g -fPIC -fvisibility=hidden -Wall -Wextra -Wshadow \
                 -Wnon-virtual-dtor -Werror $(SAN_FLAGS)
CORE_CFLAGS   := -std=c11 -O2 -g -fPIC -Wall -Wextra -Werror $(SAN_FLAGS)
CORE_LDLIBS   := -ljansson -lcrypto
CORE_LIB      := $(BUILD)/libedge_auth_core.a

.PHONY: all core module cli unit integration test test-asan fuzz bench demo deps clean nginx-bin

all: module cli

include src/core/core.mk
include src/cli/cli.mk
include fuzz/fuzz.mk

core: $(CORE_LIB)

# ---- the nginx module ----------------------------------------------------------------------

NGINX_BUILD := $(BUILD)/nginx
MODULE_SO   := $(BUILD)/ngx_http_edge_auth_module.so
GLUE_SRCS   := $(wildcard src/ngx/*.c src/ngx/*.h) config

ifeq ($(NGINX_SRC),)
# Debian: configure the nginx-dev tree with the flags the packaged binary was built with, so the
# module's signature matches /usr/sbin/nginx (--with-compat is among them).
NGINX_SRC_DIR   := /usr/share/nginx/src
NGINX_CONFIGURE := . ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}"
else
NGINX_SRC_DIR   := $(NGINX_SRC)
NGINX_CONFIGURE := ./configure --with-compat --with-http_ssl_module --with-http_auth_request_module
endif

NGINX_CC_OPT := -g -O2 -fPIC $(SAN_FLAGS)
NGINX_LD_OPT := -fPIC $(SAN_FLAGS)

$(NGINX_BUILD)/Makefile: config $(NGINX_SRC_DIR)/configure | $(CORE_LIB)
	@test -x $(NGINX_SRC_DIR)/configure || { echo "no nginx source in $(NGINX_SRC_DIR): apt-get install nginx-dev, or make NGINX_SRC=/path/to/nginx-x.y.z"; exit 1; }
	rm -rf $(NGINX_BUILD) && mkdir -p $(NGINX_BUILD)
	cp -a $(NGINX_SRC_DIR)/. $(NGINX_BUILD)/
	cd $(NGINX_BUILD) && EDGE_AUTH_CORE_LIB=$(abspath $(CORE_LIB)) bash -c '$(NGINX_CONFIGURE) \
	    --with-cc-opt="$(NGINX_CC_OPT)" --with-ld-opt="$(NGINX_LD_OPT)" \
	    --add-dynamic-module=$(CURDIR)' > configure.log 2>&1 || { tail -30 configure.log; exit 1; }

module: $(MODULE_SO)

$(MODULE_SO): $(NGINX_BUILD)/Makefile $(CORE_LIB) $(GLUE_SRCS) FORCE
	$(MAKE) -C $(NGINX_BUILD) -f objs/Makefile modules >$(NGINX_BUILD)/modules.log 2>&1 || { tail -40 $(NGINX_BUILD)/modules.log; exit 1; }
	cp $(NGINX_BUILD)/objs/ngx_http_edge_auth_module.so $@

FORCE:

# ---- tests ---------------------------------------------------------------------------------

deps:
	@scripts/install-deps test

unit: $(UNIT_TESTS)
	$(UNIT_TESTS)

# Test::Nginx::Socket-format suites. The bundled runner in t/lib is used only when the real
# Test::Nginx is not installed.
PROVE_INC := $(shell perl -MTest::Nginx::Socket -e1 2>/dev/null || echo -It/lib)

integration: $(MODULE_SO) $(CLI)
	TEST_NGINX_BINARY=$${TEST_NGINX_BINARY:-/usr/sbin/nginx} \
	TEST_NGINX_MODULE=$(abspath $(MODULE_SO)) EDGE_AUTH_CLI=$(abspath $(CLI)) \
	TEST_NGINX_SERVROOT=$(abspath $(BUILD))/servroot TEST_NGINX_SLEEP=$${TEST_NGINX_SLEEP:-0.005} \
	prove $(PROVE_INC) -j$(PROVE_JOBS) -r t/

test: deps
	$(MAKE) all unit
	$(MAKE) integration
	$(MAKE) test-asan
	$(MAKE) fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-20}

# The same suites with the core and module built with ASan/UBSan, nginx started with the ASan
# runtime preloaded (the stock binary is not instrumented, the module is).
ASAN_RT := $(shell $(CC) -print-file-name=libasan.so)
test-asan:
	$(MAKE) BUILD=build/asan SAN=1 all unit
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	TEST_NGINX_LD_PRELOAD=$(ASAN_RT) \
	$(MAKE) BUILD=build/asan SAN=1 integration

bench: deps
	scripts/install-deps bench
	$(MAKE) module cli
	bench/run

# demo/run installs its packages and builds by itself
demo:
	demo/run

# The nginx binary from the same configured tree as the module (used by the Dockerfile for
# NGINX_SRC builds, so the binary and the module share version and flags).
nginx-bin: $(NGINX_BUILD)/Makefile
	$(MAKE) -C $(NGINX_BUILD) -f objs/Makefile binary

clean:
	rm -rf build t/servroot

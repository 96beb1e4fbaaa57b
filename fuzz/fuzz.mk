# libFuzzer targets (included by the top-level Makefile). One target per parser of untrusted input,
# and a differential one for the session document writer.
#
#   make fuzz FUZZ_SECONDS=60     build, then run each target for FUZZ_SECONDS on its corpus;
#                                 fails on any crash, sanitizer report, leak or timeout
#   make fuzz-run-fuzz_jwt_verify one target only
#
# The core is compiled again here with clang and the fuzzer's coverage instrumentation; the
# corpora grow under $(BUILD)/fuzz/corpus-<target>/ (seeded from fuzz/seeds/<target>/) and crash
# reproducers land in $(BUILD)/fuzz/artifacts/. Replay one with: $(BUILD)/fuzz/<target> <file>

FUZZ_TARGETS := fuzz_jwt_verify fuzz_jwks_parse fuzz_cache_control fuzz_session_open \
                fuzz_oidc_metadata fuzz_oidc_callback fuzz_oidc_token_response fuzz_http_dechunk \
                fuzz_revocation_journal fuzz_logout_token fuzz_oidc_refresh fuzz_json_doc \
                fuzz_session_document
FUZZ_CXX     ?= clang++
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CXXFLAGS := -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                 -fno-sanitize-recover=undefined -Isrc/core
FUZZ_LDLIBS  := -ljansson -lcrypto
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
FUZZ_CORE_OBJS := $(patsubst %.cpp,$(FUZZ_DIR)/obj/%.o,$(CORE_SOURCES))
FUZZ_RUNS    := $(addprefix fuzz-run-,$(FUZZ_TARGETS))

# Per-target libFuzzer options. Tokens may exceed the default 8 KiB policy cap so that path is
# exercised too; key sets get more room for several RSA keys.
FUZZ_ARGS_fuzz_jwt_verify := -max_len=12288 -dict=fuzz/dicts/jose.dict
FUZZ_ARGS_fuzz_jwks_parse := -max_len=16384 -dict=fuzz/dicts/jose.dict
# Cookie headers of up to a few chunks, or a session document sealed inside the target.
FUZZ_ARGS_fuzz_session_open := -max_len=12288
# Header values are short; longer inputs only repeat what short ones already reach.
FUZZ_ARGS_fuzz_cache_control := -max_len=512
# Discovery documents are a few KiB; the 64 KiB cap is a unit test, not worth fuzzing at length.
FUZZ_ARGS_fuzz_oidc_metadata := -max_len=8192 -dict=fuzz/dicts/oidc.dict
# A callback query (capped at 8 KiB) plus a few Cookie header lines.
FUZZ_ARGS_fuzz_oidc_callback := -max_len=12288 -dict=fuzz/dicts/oidc.dict
# Token responses with an ID token inside, or claims signed inside the target; above the 16 KiB
# ID token cap so that path is reached too.
FUZZ_ARGS_fuzz_oidc_token_response := -max_len=20480 -dict=fuzz/dicts/oidc.dict
# Chunked bodies: a few chunks of a provider response.
FUZZ_ARGS_fuzz_http_dechunk := -max_len=4096
# Journal text: a few lines of at most 94 bytes, and a raw 48-byte record.
FUZZ_ARGS_fuzz_revocation_journal := -max_len=1024 -dict=fuzz/dicts/revocation.dict
# Logout tokens, or claims signed inside the target; above the 8 KiB cap so that path is reached.
FUZZ_ARGS_fuzz_logout_token := -max_len=10240 -dict=fuzz/dicts/oidc.dict
# Refresh responses with an ID token inside, or claims signed inside the target; above the 16 KiB
# ID token and session token caps so those paths are reached too.
FUZZ_ARGS_fuzz_oidc_refresh := -max_len=20480 -dict=fuzz/dicts/oidc.dict
# JWS headers and claims are a few hundred bytes; 4 KiB leaves room for large objects and nesting.
FUZZ_ARGS_fuzz_json_doc := -max_len=4096 -dict=fuzz/dicts/jose.dict
# Five length-prefixed strings of at most 255 bytes each.
FUZZ_ARGS_fuzz_session_document := -max_len=1285

.PHONY: $(FUZZ_RUNS) fuzz-build

fuzz: $(FUZZ_RUNS)

fuzz-build: $(FUZZ_BINS)

# Fails early with the package to install, instead of a cryptic link error.
$(FUZZ_DIR)/.toolchain-ok:
	@mkdir -p $(@D)
	@printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }\n' \
	    > $(FUZZ_DIR)/probe.cpp
	@$(FUZZ_CXX) -fsanitize=fuzzer $(FUZZ_DIR)/probe.cpp -o $(FUZZ_DIR)/probe 2>/dev/null || { \
	    echo "fuzz: $(FUZZ_CXX) cannot link -fsanitize=fuzzer; install clang and its libFuzzer runtime" \
	         "(Debian: apt-get install clang libclang-rt-14-dev, or scripts/install-deps)"; exit 1; }
	@touch $@

$(FUZZ_CORE_OBJS): $(FUZZ_DIR)/obj/%.o: %.cpp | $(FUZZ_DIR)/.toolchain-ok
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(FUZZ_DIR)/%: fuzz/%.cpp fuzz/fuzz_common.h src/core/edge_auth.h $(FUZZ_CORE_OBJS) \
              | $(FUZZ_DIR)/.toolchain-ok
	@test -n "$(strip $(CORE_SOURCES))" || { echo "fuzz: CORE_SOURCES is empty (src/core/core.mk defines it)"; exit 1; }
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -Wall -Wextra -Wshadow -fsanitize=fuzzer $< $(FUZZ_CORE_OBJS) -o $@ $(FUZZ_LDLIBS)

# libFuzzer exits non-zero on a crash, a sanitizer report, a leak or a -timeout hang; the log's
# tail then names the reproducer.
$(FUZZ_RUNS): fuzz-run-%: $(FUZZ_DIR)/%
	@mkdir -p $(FUZZ_DIR)/corpus-$* $(FUZZ_DIR)/artifacts
	@cp -R fuzz/seeds/$*/. $(FUZZ_DIR)/corpus-$*/
	@echo "fuzz: $* for $(FUZZ_SECONDS)s (log: $(FUZZ_DIR)/$*.log)"
	@$(FUZZ_DIR)/$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$*- $(FUZZ_ARGS_$*) $(FUZZ_DIR)/corpus-$* \
	    > $(FUZZ_DIR)/$*.log 2>&1 || { tail -50 $(FUZZ_DIR)/$*.log; \
	    echo "fuzz: $* FAILED; reproducer: $$(ls -t $(FUZZ_DIR)/artifacts/$*-* 2>/dev/null | head -1)"; exit 1; }
	@grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' $(FUZZ_DIR)/$*.log | sed 's/^/fuzz: $*: /'

-include $(FUZZ_CORE_OBJS:.o=.d)

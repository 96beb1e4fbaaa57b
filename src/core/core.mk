# The C++ core: a static library with no nginx dependency, its Check unit tests and a
# micro-benchmark. Included by the top-level Makefile, which defines BUILD, CXX, CORE_CXXFLAGS,
# CORE_LDLIBS, CORE_LIB and SAN_FLAGS.
#
#   make core          $(CORE_LIB)
#   make unit          builds and runs $(UNIT_TESTS)
#   make core-bench    builds and runs $(BUILD)/bench_verify (not a test: prints timings)

# Every .cpp of the core, so a new concept file needs no edit here.
CORE_SOURCES := $(sort $(wildcard src/core/*.cpp))

CORE_OBJECTS := $(patsubst src/core/%.cpp,$(BUILD)/core/%.o,$(CORE_SOURCES))

$(CORE_LIB): $(CORE_OBJECTS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/core/%.o: src/core/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CORE_CXXFLAGS) -MMD -MP -c $< -o $@

# ---- unit tests ------------------------------------------------------------------------------

UNIT_TESTS       := $(BUILD)/unit_tests
UNIT_SOURCES     := $(filter-out tests/unit/bench_%.cpp,$(wildcard tests/unit/*.cpp))
UNIT_OBJECTS     := $(patsubst tests/unit/%.cpp,$(BUILD)/unit/%.o,$(UNIT_SOURCES))
CHECK_CFLAGS     := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS       := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
UNIT_CXXFLAGS    := $(CORE_CXXFLAGS) -Isrc/core $(CHECK_CFLAGS)

$(BUILD)/unit/%.o: tests/unit/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) -MMD -MP -c $< -o $@

$(UNIT_TESTS): $(UNIT_OBJECTS) $(CORE_LIB)
	$(CXX) $(SAN_FLAGS) -o $@ $(UNIT_OBJECTS) $(CORE_LIB) $(CORE_LDLIBS) $(CHECK_LIBS)

# ---- micro-benchmark -------------------------------------------------------------------------

CORE_BENCH         := $(BUILD)/bench_verify
CORE_BENCH_OBJECTS := $(BUILD)/unit/bench_verify.o $(BUILD)/unit/test_support.o

.PHONY: core-bench
core-bench: $(CORE_BENCH)
	$(CORE_BENCH)

$(CORE_BENCH): $(CORE_BENCH_OBJECTS) $(CORE_LIB)
	$(CXX) $(SAN_FLAGS) -o $@ $(CORE_BENCH_OBJECTS) $(CORE_LIB) $(CORE_LDLIBS)

-include $(CORE_OBJECTS:.o=.d) $(UNIT_OBJECTS:.o=.d) $(BUILD)/unit/bench_verify.d

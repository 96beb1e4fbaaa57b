# edge-auth, the command-line tool (included by the top-level Makefile).
#
# Self-contained on purpose: it links OpenSSL and jansson only, not $(CORE_LIB), so tokens it
# mints test the core's verifier instead of round-tripping through the same code.

CLI      := $(BUILD)/edge-auth
CLI_SRCS := $(wildcard src/cli/*.cpp)
CLI_OBJS := $(patsubst src/cli/%.cpp,$(BUILD)/cli/%.o,$(CLI_SRCS))

cli: $(CLI)

$(CLI): $(CLI_OBJS)
	$(CXX) $(CORE_CXXFLAGS) -o $@ $(CLI_OBJS) $(CORE_LDLIBS) $(SAN_FLAGS)

# -MMD -MP: recompile when src/cli/cli.h changes.
$(BUILD)/cli/%.o: src/cli/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CORE_CXXFLAGS) -MMD -MP -c $< -o $@

-include $(CLI_OBJS:.o=.d)

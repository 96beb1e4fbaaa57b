# edge-auth, the command-line tool (included by the top-level Makefile).
#
# The JOSE commands are self-contained on purpose (OpenSSL and jansson only), so tokens they mint
# test the core's verifier instead of round-tripping through the same code. The session commands
# (keygen, seal, open) use the core's C facade, so the tool links $(CORE_LIB).

CLI      := $(BUILD)/edge-auth
CLI_SRCS := $(wildcard src/cli/*.cpp)
CLI_OBJS := $(patsubst src/cli/%.cpp,$(BUILD)/cli/%.o,$(CLI_SRCS))

cli: $(CLI)

$(CLI): $(CLI_OBJS) $(CORE_LIB)
	$(CXX) $(CORE_CXXFLAGS) -o $@ $(CLI_OBJS) $(CORE_LIB) $(CORE_LDLIBS) $(SAN_FLAGS)

# -MMD -MP: recompile when src/cli/cli.h or src/core/edge_auth.h changes.
$(BUILD)/cli/%.o: src/cli/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CORE_CXXFLAGS) -Isrc/core -MMD -MP -c $< -o $@

-include $(CLI_OBJS:.o=.d)

# Runs the built `prism` binary; it must be built first.
prism_add_test(test_cli RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_cli.cpp)
if(TARGET prism_scripting)
  target_compile_definitions(test_cli PRIVATE PRISM_CLI_HAS_SCRIPTING)
endif()
# The option groups every command shares; runs the built `prism` binary.
prism_add_test(test_cli_options RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_cli_options.cpp)

# Runs the built `prism` binary; it must be built first.
prism_add_test(test_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_cli.cpp)
target_compile_definitions(test_cli PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_cli prism)
if(TARGET prism_scripting)
  target_compile_definitions(test_cli PRIVATE PRISM_CLI_HAS_SCRIPTING)
endif()
# The option groups every command shares; runs the built `prism` binary.
prism_add_test(test_cli_options SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_cli_options.cpp)
target_compile_definitions(test_cli_options PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_cli_options prism)

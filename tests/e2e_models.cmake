# `prism eval` against SimLm over HTTP; runs the built `prism` binary.
prism_add_test(test_e2e_models SOURCES ${CMAKE_CURRENT_LIST_DIR}/e2e_models/test_e2e_models.cpp LABELS e2e)
target_compile_definitions(test_e2e_models PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_e2e_models prism)

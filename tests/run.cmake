# Runs: the run store, the run controller (cancel, budgets, resume), the
# baseline-vs-optimized comparison, and the optimize/compare/runs/resume CLI.
prism_add_test(test_run_store SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_run_store.cpp LIBS SQLite::SQLite3)
prism_add_test(test_run_controller SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_run_controller.cpp)
prism_add_test(test_compare SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_compare.cpp)
# Runs the built `prism` binary; it must be built first.
prism_add_test(test_run_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_run_cli.cpp)
target_compile_definitions(test_run_cli PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_run_cli prism)

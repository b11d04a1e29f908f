# Runs: the run store, the run controller (cancel, budgets, resume), the
# baseline-vs-optimized comparison, and the optimize/compare/runs/resume CLI.
prism_add_test(test_run_store SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_run_store.cpp LIBS SQLite::SQLite3)
# Its store tests run on SQLite and on the PostgreSQL test cluster (tests/pg.cmake).
set_tests_properties(test_run_store PROPERTIES FIXTURES_REQUIRED postgres ENVIRONMENT "PRISM_TEST_PG_STATE=${PRISM_PG_STATE}")
prism_add_test(test_event_codec SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_event_codec.cpp)
prism_add_test(test_run_controller SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_run_controller.cpp)
prism_add_test(test_compare SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_compare.cpp)
# Runs the built `prism` binary; it must be built first.
prism_add_test(test_run_cli RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_run_cli.cpp)
# A full disk and a read-only data directory: the CLI under an LD_PRELOAD shim.
enable_language(C)
add_library(prism_fsfault MODULE ${CMAKE_CURRENT_LIST_DIR}/support/fsfault.c)
target_link_libraries(prism_fsfault PRIVATE ${CMAKE_DL_LIBS})
prism_add_test(test_storage_faults RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_storage_faults.cpp
  LIBS SQLite::SQLite3)
target_include_directories(test_storage_faults PRIVATE ${CMAKE_CURRENT_LIST_DIR}/campaign)
target_compile_definitions(test_storage_faults PRIVATE PRISM_FSFAULT_LIBRARY="$<TARGET_FILE:prism_fsfault>")
add_dependencies(test_storage_faults prism_fsfault)
# Pins: every sample x optimizer gives the artifact and event log in tests/data/pins/.
prism_add_test(test_pins RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_pins.cpp)
# `prism optimize --dry-run` against real runs of the samples: the plan bounds them.
prism_add_test(test_plan_cli RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_plan_cli.cpp)
prism_add_test(test_example_trace SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_example_trace.cpp)
prism_add_test(test_judge_cli RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_judge_cli.cpp)
prism_add_test(test_run_choice SOURCES ${CMAKE_CURRENT_LIST_DIR}/run/test_run_choice.cpp)

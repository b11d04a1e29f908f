# `prism eval` against SimLm over HTTP; runs the built `prism` binary.
prism_add_test(test_e2e_models RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/e2e_models/test_e2e_models.cpp LABELS e2e)

# Issue 13's edge cases, one test per defect a new user met (tests/edges/).
prism_add_test(test_study_edges RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_study_edges.cpp)
prism_add_test(test_output_edges RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_output_edges.cpp)
# Program files (items 2, 11) and optimizer settings (item 7); also calls the
# studio's program loader when the GUI is built (no window is opened).
prism_add_test(test_program_edges RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_program_edges.cpp)
if(TARGET prism_ui)
  target_link_libraries(test_program_edges PRIVATE prism_ui)
  target_compile_definitions(test_program_edges PRIVATE PRISM_EDGES_WITH_UI)
endif()
prism_add_test(test_terminal_edges RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_terminal_edges.cpp)
# Size limits (item 15): data files, examples, max_prompt_tokens.
prism_add_test(test_size_edges RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_size_edges.cpp)

# Issue 13's edge cases, one test per defect a new user met (tests/edges/).
prism_add_test(test_study_edges SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_study_edges.cpp)
target_compile_definitions(test_study_edges PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_study_edges prism)
prism_add_test(test_output_edges SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_output_edges.cpp)
target_compile_definitions(test_output_edges PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_output_edges prism)
# Program files (items 2, 11) and optimizer settings (item 7); also calls the
# studio's program loader when the GUI is built (no window is opened).
prism_add_test(test_program_edges SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_program_edges.cpp)
target_compile_definitions(test_program_edges PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_program_edges prism)
if(TARGET prism_ui)
  target_link_libraries(test_program_edges PRIVATE prism_ui)
  target_compile_definitions(test_program_edges PRIVATE PRISM_EDGES_WITH_UI)
endif()
prism_add_test(test_terminal_edges SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_terminal_edges.cpp)
target_compile_definitions(test_terminal_edges PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_terminal_edges prism)
# Size limits (item 15): data files, examples, max_prompt_tokens.
prism_add_test(test_size_edges SOURCES ${CMAKE_CURRENT_LIST_DIR}/edges/test_size_edges.cpp)
target_compile_definitions(test_size_edges PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_size_edges prism)

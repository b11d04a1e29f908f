prism_add_test(test_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/test_core.cpp)
prism_add_test(test_worker_pool SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/test_worker_pool.cpp)
prism_add_test(test_outfile SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/test_outfile.cpp)
prism_add_test(test_input_file SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/test_input_file.cpp)
prism_add_test(test_program_wiring SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/core/test_program_wiring.cpp
  ${CMAKE_CURRENT_LIST_DIR}/core/test_program_edit.cpp)

prism_add_test(test_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/core/test_core.cpp)

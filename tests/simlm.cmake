prism_add_test(test_simlm SOURCES ${CMAKE_CURRENT_LIST_DIR}/simlm/test_simlm.cpp)

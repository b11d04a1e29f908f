prism_add_test(test_signal SOURCES ${CMAKE_CURRENT_LIST_DIR}/signal/test_signal.cpp)

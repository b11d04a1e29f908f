prism_add_test(test_evaluator SOURCES ${CMAKE_CURRENT_LIST_DIR}/eval/test_evaluator.cpp)

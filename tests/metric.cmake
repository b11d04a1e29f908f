prism_add_test(test_metric SOURCES ${CMAKE_CURRENT_LIST_DIR}/metric/test_metric.cpp)
prism_add_test(test_metric_feedback SOURCES ${CMAKE_CURRENT_LIST_DIR}/metric/test_feedback.cpp)
prism_add_test(test_judge_metric SOURCES ${CMAKE_CURRENT_LIST_DIR}/metric/test_judge.cpp)

prism_add_test(test_simlm SOURCES ${CMAKE_CURRENT_LIST_DIR}/simlm/test_simlm.cpp)
prism_add_test(test_sim_reflect SOURCES ${CMAKE_CURRENT_LIST_DIR}/simlm/test_sim_reflect.cpp)
prism_add_test(test_sim_judge SOURCES ${CMAKE_CURRENT_LIST_DIR}/simlm/test_sim_judge.cpp)

prism_add_test(test_dataset SOURCES ${CMAKE_CURRENT_LIST_DIR}/dataset/test_dataset.cpp)

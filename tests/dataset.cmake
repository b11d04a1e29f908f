prism_add_test(test_dataset SOURCES ${CMAKE_CURRENT_LIST_DIR}/dataset/test_dataset.cpp)
prism_add_test(test_schema_guess SOURCES ${CMAKE_CURRENT_LIST_DIR}/dataset/test_schema_guess.cpp)

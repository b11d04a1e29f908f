prism_add_test(test_adapter SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/adapter/test_rendering.cpp
  ${CMAKE_CURRENT_LIST_DIR}/adapter/test_parsing.cpp
  ${CMAKE_CURRENT_LIST_DIR}/adapter/test_predict.cpp)

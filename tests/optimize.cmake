prism_add_test(test_optimize_fewshot SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/optimize/fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimize/test_fewshot.cpp)
prism_add_test(test_miprov2 SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/optimize/fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimize/test_miprov2.cpp)
prism_add_test(test_gepa SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/optimize/fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimize/test_gepa.cpp)
prism_add_test(test_random_search SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/optimize/fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimize/test_random_search.cpp)
prism_add_test(test_freeze SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/optimize/fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimize/test_freeze.cpp)
prism_add_test(test_screening SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/optimize/test_screening.cpp)

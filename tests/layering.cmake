# Layer rules of engine/ (tests/layering/rules.txt): which folder may include which.
prism_add_test(test_layering SOURCES ${CMAKE_CURRENT_LIST_DIR}/layering/test_layering.cpp LABELS layering)
target_compile_definitions(test_layering PRIVATE
  PRISM_ENGINE_DIR="${PROJECT_SOURCE_DIR}/engine"
  PRISM_LAYER_RULES="${CMAKE_CURRENT_LIST_DIR}/layering/rules.txt")

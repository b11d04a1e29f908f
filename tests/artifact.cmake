prism_add_test(test_artifact SOURCES ${CMAKE_CURRENT_LIST_DIR}/artifact/test_artifact.cpp)
# The export tests with the real ChatAdapter (DSPy's rendering as the reference).
prism_add_test(test_artifact_prompt SOURCES ${CMAKE_CURRENT_LIST_DIR}/artifact/test_artifact_prompt.cpp)

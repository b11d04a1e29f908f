# Engine-side tests of prism_scripting (JsMetric on QJSEngine). Built only with the studio (Qt).
if(TARGET prism_scripting)
  prism_add_test(test_jsmetric SOURCES ${CMAKE_CURRENT_LIST_DIR}/scripting/test_jsmetric.cpp
    LIBS prism_scripting Qt6::Qml Qt6::Core)
endif()
# Hostile metric scripts: ways out of the sandbox, hangs, memory bombs.
if(TARGET prism_scripting)
  prism_add_test(test_sandbox SOURCES ${CMAKE_CURRENT_LIST_DIR}/scripting/test_sandbox.cpp
    LIBS prism_scripting Qt6::Qml Qt6::Core)
endif()
# The sandbox's limits: setters on built-ins, oversized native builders, memory.
if(TARGET prism_scripting)
  prism_add_test(test_sandbox_limits SOURCES ${CMAKE_CURRENT_LIST_DIR}/scripting/test_sandbox_limits.cpp
    LIBS prism_scripting Qt6::Qml Qt6::Core)
endif()

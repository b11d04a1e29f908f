# The engine's layers as engine/CMakeLists.txt declares them (prism_engine_layer USES): the test
# checks every #include of each layer and every undefined symbol of its archive against them.
get_property(prismLayers GLOBAL PROPERTY PRISM_ENGINE_LAYERS)
list(JOIN prismLayers "\n" prismLayersText)
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/engine_layers.txt CONTENT "${prismLayersText}\n")
prism_add_test(test_layering SOURCES ${CMAKE_CURRENT_LIST_DIR}/layering/test_layering.cpp LABELS layering)
target_compile_definitions(test_layering PRIVATE
  PRISM_ENGINE_DIR="${PROJECT_SOURCE_DIR}/engine"
  PRISM_LAYERS_FILE="${CMAKE_BINARY_DIR}/engine_layers.txt")
# The archives must exist when the test reads their symbols: the engine's come with the link,
# scripting's (a layer no test of the engine links) is built first.
if(TARGET prism_scripting)
  add_dependencies(test_layering prism_scripting)
endif()

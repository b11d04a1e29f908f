# The fuzz targets' bodies replayed on every committed seed and every input a
# fuzzer once crashed on (fuzz/corpus, fuzz/regressions): gcc, default run.
if(NOT PRISM_FUZZ)
  set(fuzz_libs)
  if(TARGET prism_scripting)
    set(fuzz_libs prism_scripting)
  endif()
  prism_add_test(test_fuzz_regressions
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz/test_fuzz_regressions.cpp ${PROJECT_SOURCE_DIR}/fuzz/fuzz_targets.cpp
    LIBS ${fuzz_libs})
  target_include_directories(test_fuzz_regressions PRIVATE ${PROJECT_SOURCE_DIR}/fuzz)
  target_compile_definitions(test_fuzz_regressions PRIVATE PRISM_FUZZ_DIR="${PROJECT_SOURCE_DIR}/fuzz")
  if(TARGET prism_scripting)
    target_compile_definitions(test_fuzz_regressions PRIVATE PRISM_FUZZ_HAS_SCRIPTING)
  endif()
endif()

prism_add_test(test_search SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/search/test_search_space.cpp
  ${CMAKE_CURRENT_LIST_DIR}/search/test_study.cpp
  ${CMAKE_CURRENT_LIST_DIR}/search/test_tpe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/search/test_bench_format.cpp
  ${PROJECT_SOURCE_DIR}/bench/sampler_bench.cpp)
target_include_directories(test_search PRIVATE ${PROJECT_SOURCE_DIR}/bench)
prism_add_test(test_sampler_conformance SOURCES ${CMAKE_CURRENT_LIST_DIR}/search/test_sampler_conformance.cpp)
# The issue's "done when" for the samplers on the benchmark objectives (bench/objectives):
# TPE's rec_true >= Random's from 20 trials on, 50 seeds (docs/BENCHMARKS.md).
prism_add_test(test_sampler_benchmark SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/search/test_sampler_benchmark.cpp
  ${PROJECT_SOURCE_DIR}/bench/sampler_bench.cpp)
target_include_directories(test_sampler_benchmark PRIVATE ${PROJECT_SOURCE_DIR}/bench)
target_compile_definitions(test_sampler_benchmark PRIVATE PRISM_BENCH_OBJECTIVES_DIR="${PROJECT_SOURCE_DIR}/bench/objectives")

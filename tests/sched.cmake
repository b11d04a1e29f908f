prism_add_test(test_sched SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/sched/test_managed_lm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sched/test_scheduler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sched/test_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sched/test_accounting.cpp
  LABELS sched)

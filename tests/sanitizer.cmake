# ThreadSanitizer builds only: two canaries that pin down what the committed
# TSan suppressions (scripts/sanitizers/tsan.supp) may and may not hide.
# See tests/sanitizer/tsan_canary.cpp.
if(NOT PRISM_SANITIZE MATCHES "thread" OR NOT TARGET Qt6::Core)
  return()
endif()

add_executable(tsan_canary ${CMAKE_CURRENT_LIST_DIR}/sanitizer/tsan_canary.cpp)
target_link_libraries(tsan_canary PRIVATE prism_common_cfg Qt6::Core)

add_test(NAME tsan_canary_race COMMAND tsan_canary race)
add_test(NAME tsan_canary_handover COMMAND tsan_canary handover)
# The race canary must produce a report naming a racing function (its exit
# code is TSan's 66, so the output decides); the hand-over must be clean.
set_tests_properties(tsan_canary_race PROPERTIES
  PASS_REGULAR_EXPRESSION "SUMMARY: ThreadSanitizer: data race [^ ]+ in writeFrom(Worker|Main)")
set_tests_properties(tsan_canary_race tsan_canary_handover PROPERTIES
  LABELS sanitizer
  ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:suppressions=${PROJECT_SOURCE_DIR}/scripts/sanitizers/tsan.supp")

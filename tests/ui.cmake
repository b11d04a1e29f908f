# GUI tests: Qt Test executables run offscreen, one per page or area.
# prism_add_ui_test(NAME SOURCES a.cpp [LIBS ...] [LABELS ...])
# Each test gets private config, data and runtime folders under the build
# tree, so it never reads or writes the user's settings or run store.
# RunState (the engine's fold of run events, which the monitor shows) is plain
# C++: a GoogleTest executable over prism_engine, built with or without the GUI.
prism_add_test(test_runstate SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_runstate.cpp LABELS ui)

if(NOT PRISM_BUILD_GUI OR NOT TARGET prism_ui)
  return()
endif()

function(prism_add_ui_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES AUTOMOC ON)
  target_link_libraries(${name} PRIVATE prism_ui Qt6::Test ${ARG_LIBS})
  target_compile_definitions(${name} PRIVATE
    PRISM_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data"
    PRISM_SAMPLES_DIR="${PROJECT_SOURCE_DIR}/samples")
  set(home ${CMAKE_CURRENT_BINARY_DIR}/ui-home/${name})
  file(MAKE_DIRECTORY ${home}/runtime ${home}/config ${home}/data ${home}/cache)
  file(CHMOD ${home}/runtime DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
  add_test(NAME ${name} COMMAND ${name})
  set(labels ui ${ARG_LABELS})
  math(EXPR timeout "300 * ${PRISM_TEST_TIMEOUT_SCALE}")
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${timeout}
    LABELS "${labels}"
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;XDG_RUNTIME_DIR=${home}/runtime;XDG_CONFIG_HOME=${home}/config;XDG_DATA_HOME=${home}/data;XDG_CACHE_HOME=${home}/cache;PRISM_DATA_DIR=${home}/data/prism")
endfunction()

foreach(t test_shell test_datasetpage test_signaturepage test_metricpage test_modelspage test_monitorpage test_monitorgepa test_enginebridge test_runpage)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/ui/${t}.cpp)
    prism_add_ui_test(${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/${t}.cpp)
  endif()
endforeach()
# Saves a PNG of every page to $PRISM_SCREENSHOT_DIR (skips itself when unset).
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/ui/test_screenshots.cpp)
  prism_add_ui_test(test_screenshots SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_screenshots.cpp)
endif()
# Compare, History and Export: each runs a small real optimization on SimLm
# (tests/ui/runfixture.h) or fills a private run store.
foreach(t test_comparepage test_historypage test_exporters test_journey test_journey_pipeline)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/ui/${t}.cpp)
    prism_add_ui_test(${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/${t}.cpp)
  endif()
endforeach()
# The Run page's estimate against `prism optimize --dry-run --json`: runs the built CLI.
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/ui/test_estimate_cli.cpp)
  prism_add_ui_test(test_estimate_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_estimate_cli.cpp)
  target_compile_definitions(test_estimate_cli PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
  add_dependencies(test_estimate_cli prism)
endif()
prism_add_ui_test(test_spend SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_spend.cpp)
prism_add_ui_test(test_report_browser SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_report_browser.cpp)
prism_add_ui_test(test_layout SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_layout.cpp)
prism_add_ui_test(test_trace SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_trace.cpp)
prism_add_ui_test(test_playground SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_playground.cpp)
prism_add_ui_test(test_gridpage SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_gridpage.cpp)
# Study name and description (File > Study Properties, the Dataset page's Rename link).
prism_add_ui_test(test_studyinfo SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_studyinfo.cpp)
# File > New Study from Data: the wizard, from a CSV or JSONL file to an opened study.
prism_add_ui_test(test_newstudywizard SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_newstudywizard.cpp)
target_compile_definitions(test_newstudywizard PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_newstudywizard prism)
# Issue 14's journey: a CSV through the wizard, a run, a trace, the playground, the grid, the report.
prism_add_ui_test(test_journey_data SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_journey_data.cpp)

# The studio attached to a team server: needs the PostgreSQL test cluster and
# the `prism` CLI (the API server and a worker run as processes).
prism_add_ui_test(test_server_studio SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui/test_server_studio.cpp LABELS pg)
target_compile_definitions(test_server_studio PRIVATE PRISM_CLI_BINARY="$<TARGET_FILE:prism>")
add_dependencies(test_server_studio prism)
set_property(TEST test_server_studio APPEND PROPERTY ENVIRONMENT "PRISM_TEST_PG_STATE=${PRISM_PG_STATE}")
set_tests_properties(test_server_studio PROPERTIES FIXTURES_REQUIRED postgres)

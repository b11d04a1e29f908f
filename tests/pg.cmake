# Tests against a throwaway PostgreSQL cluster (tests/support/pg_cluster.sh),
# started once before them and stopped after them by CTest fixtures.
set(PRISM_PG_STATE ${CMAKE_CURRENT_BINARY_DIR}/pg-cluster)
add_test(NAME pg_cluster_start COMMAND ${CMAKE_CURRENT_LIST_DIR}/support/pg_cluster.sh start ${PRISM_PG_STATE})
add_test(NAME pg_cluster_stop COMMAND ${CMAKE_CURRENT_LIST_DIR}/support/pg_cluster.sh stop ${PRISM_PG_STATE})
set_tests_properties(pg_cluster_start PROPERTIES FIXTURES_SETUP postgres LABELS pg TIMEOUT 120)
set_tests_properties(pg_cluster_stop PROPERTIES FIXTURES_CLEANUP postgres LABELS pg TIMEOUT 60)

prism_add_test(test_pg RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/pg/test_pg.cpp LABELS pg)
set_tests_properties(test_pg PROPERTIES FIXTURES_REQUIRED postgres ENVIRONMENT "PRISM_TEST_PG_STATE=${PRISM_PG_STATE}")

prism_add_test(test_api RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/pg/test_api.cpp LABELS pg
  LIBS PkgConfig::HTTPLIB)
set_tests_properties(test_api PROPERTIES FIXTURES_REQUIRED postgres ENVIRONMENT "PRISM_TEST_PG_STATE=${PRISM_PG_STATE}"
  TIMEOUT 900)

# The fault and crash campaigns (docs/RELIABILITY.md): the built `prism` binary
# against `prism simlm serve` with injected faults, and killed mid-run.
# Label campaign; scripts/fault-campaign.sh and scripts/crash-campaign.sh run them.
foreach(t test_fault_campaign test_crash_campaign)
  prism_add_test(${t} RUNS_CLI SOURCES ${CMAKE_CURRENT_LIST_DIR}/campaign/${t}.cpp LIBS SQLite::SQLite3 LABELS campaign)
  target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR}/campaign)
endforeach()

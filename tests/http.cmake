prism_add_test(test_http_parsers SOURCES ${CMAKE_CURRENT_LIST_DIR}/http/test_http_parsers.cpp)
prism_add_test(test_sim_server SOURCES ${CMAKE_CURRENT_LIST_DIR}/http/test_sim_server.cpp)
prism_add_test(test_sim_server_simlm SOURCES ${CMAKE_CURRENT_LIST_DIR}/http/test_sim_server_simlm.cpp)
prism_add_test(test_http_protocols SOURCES ${CMAKE_CURRENT_LIST_DIR}/http/test_http_protocols.cpp)

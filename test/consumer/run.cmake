# Installs authmilter into WORK_DIR/prefix and builds test/consumer/project against it.
file(REMOVE_RECURSE ${WORK_DIR})
set(build ${WORK_DIR}/build-lib)
set(prefix ${WORK_DIR}/prefix)
foreach(step
    "${CMAKE_COMMAND};-S;${SOURCE_DIR};-B;${build};-G;${GENERATOR};-DCMAKE_INSTALL_PREFIX=${prefix};-DAUTHMILTER_BUILD_TESTS=OFF;-DAUTHMILTER_BUILD_EXAMPLES=OFF"
    "${CMAKE_COMMAND};--install;${build}"
    "${CMAKE_COMMAND};-S;${SOURCE_DIR}/test/consumer/project;-B;${WORK_DIR}/build-consumer;-G;${GENERATOR};-DCMAKE_CXX_COMPILER=${CXX};-DCMAKE_PREFIX_PATH=${prefix}"
    "${CMAKE_COMMAND};--build;${WORK_DIR}/build-consumer"
    "${WORK_DIR}/build-consumer/consumer")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer step failed (${rc}): ${step}")
  endif()
endforeach()

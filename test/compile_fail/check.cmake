# Compiles SOURCE and succeeds only if compilation fails with the text given on the file's
# first line ("// expect: <text>").
file(STRINGS ${SOURCE} first_line LIMIT_COUNT 1)
string(REGEX REPLACE "^// expect: " "" expected "${first_line}")
execute_process(
  COMMAND ${CXX} -std=c++20 -fsyntax-only -I${INCLUDE} -I/usr/include ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must fail with: ${expected}")
endif()
string(FIND "${out}${err}" "${expected}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "${SOURCE} failed without the expected message '${expected}':\n${err}")
endif()
message(STATUS "failed as expected: ${expected}")

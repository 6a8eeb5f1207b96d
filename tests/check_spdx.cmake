# SPDX-License-Identifier: GPL-3.0-or-later
# Fails when a source file or script lacks the SPDX license line (LICENSE: GPL-3.0-or-later),
# so a new file cannot land without saying under which license it is.
set(_files "")
foreach(_dir app core ui tests packaging .ci)
    file(GLOB_RECURSE _found "${SOURCE_DIR}/${_dir}/*.h" "${SOURCE_DIR}/${_dir}/*.cpp"
        "${SOURCE_DIR}/${_dir}/*.sh" "${SOURCE_DIR}/${_dir}/*.js" "${SOURCE_DIR}/${_dir}/*.cmake"
        "${SOURCE_DIR}/${_dir}/CMakeLists.txt")
    list(APPEND _files ${_found})
endforeach()
list(APPEND _files "${SOURCE_DIR}/CMakeLists.txt" "${SOURCE_DIR}/.ci/run" "${SOURCE_DIR}/.ci/quickstart")
list(FILTER _files EXCLUDE REGEX "/(node_modules|npm)/")
set(_bad "")
foreach(_f IN LISTS _files)
    file(STRINGS "${_f}" _hit LIMIT_COUNT 1 REGEX "SPDX-License-Identifier: GPL-3\\.0-or-later")
    if(NOT _hit)
        list(APPEND _bad "${_f}")
    endif()
endforeach()
if(_bad)
    string(REPLACE ";" "\n" _bad "${_bad}")
    message(FATAL_ERROR "Files without 'SPDX-License-Identifier: GPL-3.0-or-later' near the top:\n${_bad}")
endif()
list(LENGTH _files _count)
message(STATUS "${_count} files carry the SPDX license line")

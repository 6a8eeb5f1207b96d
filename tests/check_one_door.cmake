# SPDX-License-Identifier: GPL-3.0-or-later
# Fails when a front end (ui/, app/) reaches past Engine: including a store/, delivery/ or
# receiver/ header, or calling Engine's store(), writer(), dispatcher() or receiver() (kept
# for the core's own tests). The window, the command line and the API drive the core through
# Engine only, so each rule (validation, claims, durability) has one place to live.
set(_bad "")
set(_count 0)
foreach(_dir IN ITEMS "${SOURCE_DIR}/ui" "${SOURCE_DIR}/app")
    file(GLOB_RECURSE _files "${_dir}/*.h" "${_dir}/*.cpp")
    foreach(_f IN LISTS _files)
        math(EXPR _count "${_count} + 1")
        file(STRINGS "${_f}" _hits
             REGEX "#include[ \t]*\"(store|delivery|receiver)/|[.>](store|writer|dispatcher|receiver)\\(\\)")
        if(_hits)
            list(APPEND _bad "${_f}: ${_hits}")
        endif()
    endforeach()
endforeach()
if(_bad)
    message(FATAL_ERROR "ui/ and app/ must reach the core through Engine only:\n${_bad}")
endif()
message(STATUS "ui/ and app/ use Engine only (${_count} files checked)")

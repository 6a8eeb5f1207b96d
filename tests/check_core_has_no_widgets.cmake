# SPDX-License-Identifier: GPL-3.0-or-later
# Fails when any file in core/ includes a Qt Widgets or Gui header: the core must build and
# run headless (command line, tests), so widgets belong in ui/.
file(GLOB_RECURSE _files "${CORE_DIR}/*.h" "${CORE_DIR}/*.cpp")
set(_bad "")
foreach(_f IN LISTS _files)
    file(STRINGS "${_f}" _hits REGEX "#include[ \t]*<(QtWidgets/|QtGui/|QWidget|QMainWindow|QDialog|QApplication|QGuiApplication|QPainter|QColor)")
    if(_hits)
        list(APPEND _bad "${_f}: ${_hits}")
    endif()
endforeach()
if(_bad)
    message(FATAL_ERROR "core/ must not include Widgets/Gui headers:\n${_bad}")
endif()
list(LENGTH _files _count)
message(STATUS "core/ is free of Widgets/Gui headers (${_count} files checked)")

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Renders the application icon's hicolor PNG sizes from the SVG (Debian package librsvg2-bin).
# The PNGs are committed: run this after changing io.hookline.Hookline.svg.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for s in 16 22 24 32 48 64 128 256 512; do
    mkdir -p "hicolor/${s}x${s}"
    rsvg-convert -w "$s" -h "$s" io.hookline.Hookline.svg -o "hicolor/${s}x${s}/io.hookline.Hookline.png"
done

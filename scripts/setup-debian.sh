#!/bin/sh
# Installs gmoe's build and test dependencies from Debian's packages and
# builds the tree in place.  Run as root from the top of the source tree on
# Debian 12.  Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential autoconf automake libtool pkg-config \
    libgsl-dev liblapacke-dev libjansson-dev check \
    gnuplot-nox r-base-core r-cran-flexmix >/dev/null
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"

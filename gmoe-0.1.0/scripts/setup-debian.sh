#!/bin/sh
# Installs gmoe's build and test dependencies from Debian's packages (clang
# and its sanitizer runtimes for the fuzz targets, scripts/fuzz.sh; Open
# MPI for the runs over ranks, configure --with-mpi) and builds the tree in
# place, with MPI, so that make check runs the MPI tests (tests/mpi_*.sh).
# Run as root from the top of the source tree on Debian 12.  Safe to run
# again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential autoconf automake libtool pkg-config \
    libgsl-dev liblapacke-dev libjansson-dev check \
    gnuplot-nox r-base-core r-cran-flexmix r-cran-testthat \
    clang-14 libclang-rt-14-dev libopenmpi-dev openmpi-bin >/dev/null
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --with-mpi
make -j"$(nproc)"
# The R package gmoe (scripts/R/gmoe, gmoe-r(7)) links against the
# installed libgmoe (pkg-config gmoe), so the library is installed first
# (/usr/local); then R CMD build and INSTALL put the package in R's site
# library, where library(gmoe) finds it.
make install >/dev/null
ldconfig
top=$(pwd)
rpkg=$(mktemp -d)
(cd "$rpkg" && R CMD build --no-build-vignettes "$top/scripts/R/gmoe" >/dev/null &&
    R CMD INSTALL gmoe_*.tar.gz >/dev/null)
rm -rf "$rpkg"

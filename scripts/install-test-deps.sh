#!/usr/bin/env bash
# Installs the Debian packages jailbuild's test suite uses, when any is missing. Needs root.
set -euo pipefail
packages=(
  gcc libc6-dev gcc-multilib musl-tools binutils   # programs the resolver tests compile and run
  pax-utils                                         # scanelf/lddtree for the benchmarks
  ghostscript                                       # the wrapper-script chains the script tests follow
  texlive-latex-base dvipng                         # the tex profile: latex and dvipng run in a jail
  strace busybox curl openssl ca-certificates       # the strace, busybox, https profiles
  libarchive-tools skopeo umoci                     # bsdtar, and OCI tools that read the tarball tests' layouts
  php8.2-fpm php8.2-curl libfcgi-bin dnsmasq-base   # the PHP-FPM pool test: php-fpm, cgi-fcgi, a DNS server
  openjdk-17-jre-headless perl                      # out of the box: java without /proc, Perl modules
  iproute2                                          # jailbuild test: the loopback of each test's network namespace
  lilypond imagemagick groff python3 git tcl        # jailbuild test --fix and trace on programs no shipped profile covers
  postgresql-client gdb php8.2-cli dpkg-dev fontconfig  # known reads: pg_wrapper, embedded Python, PHP's zoneinfo, Dpkg::Arch, /etc/fonts
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

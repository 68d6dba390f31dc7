# Sourced by the fetch scripts: apt_install PKG... installs the Debian packages named
# (with sudo when not root), after one `apt-get update`; nothing when none are named.
apt_install() {
  [ $# -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

#!/usr/bin/env bash
# chroot-apache.sh ROOT RUN DB_SOCKET [APACHE_ARGS...]: runs Apache of the bare Debian root ROOT
# (tests/barehost/mkroot.sh) the way the host's own would run, with this test's files laid over it.
#
# Everything happens in a mount namespace of its own (unshare), so the mounts below exist only
# for Apache and its children and vanish with the last of them, however the test ends:
#   RUN/merged          overlay of ROOT (read-only, shared by every run) and RUN/upper (what the
#                       test wrote: the customer's account and files, Apache's configuration;
#                       Apache's logs land there too), RUN/work is overlayfs's scratch folder
#   merged/proc, /dev   the kernel's, for Apache, suexec and cinto.fcgi (/proc/self/exe)
#   merged/run/mysqld/mysqld.sock   the test MariaDB's socket (a file of RUN/upper is the mount point)
# Then `cinto.fcgi migrate` runs in the root as the customer (uid/gid 1000, as over SSH), and this
# process becomes Apache (exec, same pid: the caller stops Apache by this pid).
set -euo pipefail
if [ "${CINTO_BAREHOST_NS:-}" != $$ ]; then
	# first pass: the same script again, as the first process of a private mount namespace
	exec unshare --mount --propagation private env CINTO_BAREHOST_NS=$$ "$0" "$@"
fi
# (unshare execs without forking, so $$ is still the pid the caller started)
root=${1:?usage: chroot-apache.sh ROOT RUN DB_SOCKET [APACHE_ARGS...]}
run=${2:?}
sock=${3:?}
shift 3
m=$run/merged
mount -t overlay cinto-barehost -o "lowerdir=$root,upperdir=$run/upper,workdir=$run/work" "$m"
mount -t proc proc "$m/proc"
mount --bind /dev "$m/dev"
mount --bind "$sock" "$m/run/mysqld/mysqld.sock"

# what the customer would run once (over SSH, or by the first request once cinto does it itself)
app=/var/www/customer/public_html/cinto.fcgi
if ! chroot --userspec=1000:1000 --groups=1000 "$m" /usr/bin/env -i PATH=/usr/bin:/bin "$app" migrate \
	>"$run/migrate.log" 2>&1; then
	echo "chroot-apache: '$app migrate' failed as the customer:" >&2
	cat "$run/migrate.log" >&2
	exit 1
fi

exec chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
	/usr/sbin/apache2 -f /etc/apache2/cinto-barehost.conf -DFOREGROUND "$@"

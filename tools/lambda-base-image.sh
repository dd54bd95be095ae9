#!/usr/bin/env bash
# Makes sure the base image of SAM's provided.al2023 x86_64 containers is present locally:
# public.ecr.aws/lambda/provided:al2023-x86_64. An image already there (the real one, or a
# stand-in from an earlier run) is used as it is; the image is never pulled (no registry
# but Debian's is reachable here).
#
# Otherwise a stand-in is made from Debian packages: glibc, libgcc and a static busybox
# (/bin/sh, mv, chmod: all that SAM's own layer and the Rust binaries need), about 15 MB.
# It has Debian's glibc (2.36), newer than Lambda's (2.34): tools/sam-local.sh checks the
# binaries' glibc symbol versions separately.
set -euo pipefail

IMAGE=public.ecr.aws/lambda/provided:al2023-x86_64

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  kind=$(docker image inspect --format '{{index .Config.Labels "task-api.stand-in"}}' "$IMAGE" 2>/dev/null || true)
  echo "Base image $IMAGE: present${kind:+ (stand-in: $kind)}"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
packages=(libc6 libgcc-s1 busybox-static)
if ! apt-get download -q "${packages[@]}" >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "apt-get download ${packages[*]} failed (try apt-get update as root)" >&2; exit 1; }
  apt-get update -q >/dev/null
  apt-get download -q "${packages[@]}" >/dev/null
fi
mkdir rootfs
for deb in ./*.deb; do dpkg-deb -x "$deb" rootfs; done
# shellcheck disable=SC2016 # dpkg-deb's own ${field} syntax
versions=$(for deb in ./*.deb; do dpkg-deb --showformat='${Package}=${Version} ' -W "$deb"; done)
versions=${versions% }

for applet in $(rootfs/bin/busybox --list); do
  [ -e "rootfs/bin/$applet" ] || ln -s busybox "rootfs/bin/$applet"
done
mkdir -p rootfs/tmp rootfs/var/task rootfs/var/runtime rootfs/opt rootfs/etc
chmod 1777 rootfs/tmp
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > rootfs/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > rootfs/etc/group

tar -C rootfs -c . | docker import \
  --change 'ENTRYPOINT ["/var/rapid/aws-lambda-rie"]' \
  --change 'WORKDIR /var/task' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change "LABEL task-api.stand-in=\"Debian: $versions\"" \
  - "$IMAGE" >/dev/null
echo "Base image $IMAGE: stand-in made from Debian packages ($versions)"

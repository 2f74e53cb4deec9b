#!/usr/bin/env bash
# The GPU check (src/cli/gpuCheck.ts): `npm run gpu-check [-- --quick]` builds and runs it here; on a GPU
# machine without Node, `bash scripts/gpu-check.sh` runs it from what scripts/gpu-pack.sh packed into .gpu/.
# Node: the one on PATH, else .gpu/node.xz. Bundle: dist/gpuCheck.js (npm run build), else .gpu/dist/gpuCheck.js.
# Where the NVIDIA driver's Vulkan ICD is present but the Vulkan loader is not (the GPU machines here), the
# loader packages in .gpu/debs are installed first, as ../shared/notes/gpu-device.md describes.
# Arguments go to the check: --quick, --json <file>, --corpus <dir with train.c and test.c>.
set -euo pipefail
# Only builtins until Node is found, so that a machine without it hears why (and the test can hide it).
root=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
cd "$root"
pack=.gpu

no_pack() {
  echo "gpu-check: $1. On a machine with Node, in the project after npm ci (and bash scripts/linux-corpus.sh for the kernel/ corpus), run" >&2
  echo "  bash scripts/gpu-pack.sh" >&2
  echo "It writes .gpu/ (git-ignored): a compressed Node binary, the check's bundle with the Dawn addon and tfjs-backend-webgpu," >&2
  echo "the Vulkan loader packages, the kernel/ train.c and test.c. Bring .gpu along (the device tool: carry [\".gpu\"]) and run" >&2
  echo "  bash scripts/gpu-check.sh" >&2
  echo "again there (README, \"GPU and native backends\")." >&2
  exit 2
}

# file.xz -> file, once (the carried pack keeps only the compressed copies).
unpack() { [ -f "${1%.xz}" ] || xz -dk "$1"; }

node=$(command -v node || true)
if [ -z "$node" ]; then
  [ -f "$pack/node.xz" ] || no_pack "no Node here, and no packed one ($pack/node.xz)"
  unpack "$pack/node.xz"
  chmod +x "$pack/node"
  node="$root/$pack/node"
fi

if [ -f dist/gpuCheck.js ]; then
  bundle=dist/gpuCheck.js
  built_from="$(git describe --always --dirty 2>/dev/null || echo 'a checkout without git'), dist/"
elif [ -f "$pack/dist/gpuCheck.js" ]; then
  bundle="$pack/dist/gpuCheck.js"
  built_from="$(< "$pack/BUILT_FROM")"
  for z in "$pack"/dist/dawn/*.xz; do [ -f "$z" ] && unpack "$z"; done
else
  no_pack "no bundle to run: neither dist/gpuCheck.js (npm run build) nor $pack/dist/gpuCheck.js"
fi
for z in "$pack"/corpus/*.xz; do [ -f "$z" ] && unpack "$z"; done

for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] || continue
  export VK_DRIVER_FILES="${VK_DRIVER_FILES:-$icd}"
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
    ls "$pack"/debs/*.deb >/dev/null 2>&1 || no_pack "an NVIDIA Vulkan driver ($icd) but no Vulkan loader, and none packed ($pack/debs)"
    [ "$(id -u)" = 0 ] || { echo "gpu-check: installing the Vulkan loader from $pack/debs needs root" >&2; exit 2; }
    for deb in "$pack"/debs/*.deb; do dpkg -x "$deb" /; done
    ldconfig
  fi
  break
done

exec "$node" "$bundle" --built-from "$built_from" "$@"

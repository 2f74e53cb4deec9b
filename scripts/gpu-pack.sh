#!/usr/bin/env bash
# Packs .gpu/ for the GPU check on a GPU machine without Node (../shared/notes/gpu-device.md): a compressed
# Node binary, the check's bundle (dist/gpuCheck.js, its wasm worker, the Dawn addon) and tfjs-backend-webgpu,
# the Vulkan loader packages, the kernel/ corpus's train.c and test.c, and the commit it was built from.
# Run in the project after npm ci, with the corpus in runs/linux (bash scripts/linux-corpus.sh) or its folder
# as $1. .gpu/ is git-ignored; bring it along (the device tool: carry [".gpu"]) and run
# `bash scripts/gpu-check.sh` there. The compressed copies only: gpu-check.sh unpacks them where it runs.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
corpus=${1:-runs/linux}
pack=.gpu
for f in train.c test.c; do
  [ -f "$corpus/$f" ] || { echo "gpu-pack: no $corpus/$f; bash scripts/linux-corpus.sh builds the kernel/ corpus (or give its folder)" >&2; exit 2; }
done
node esbuild.config.mjs
rm -rf "$pack/dist" "$pack/node_modules" "$pack/corpus" "$pack/node"
mkdir -p "$pack/dist/dawn" "$pack/node_modules/@tensorflow/tfjs-backend-webgpu" "$pack/corpus" "$pack/debs"
xz_to() { xz -T2 -6 -c "$1" > "$2"; }

# Node: compressed again only when its version changes (a minute or two).
if [ "$(cat "$pack/node.version" 2>/dev/null)" != "$(node --version)" ] || [ ! -f "$pack/node.xz" ]; then
  xz_to "$(command -v node)" "$pack/node.xz"
  node --version > "$pack/node.version"
fi
cp dist/gpuCheck.js dist/wasmTrainerWorker.js dist/*.wasm "$pack/dist/"
for addon in dist/dawn/*; do xz_to "$addon" "$pack/dist/dawn/${addon##*/}.xz"; done
# The bundle requires tfjs-backend-webgpu at run time; packed as one file with its tfjs-core (tfjs keeps its
# engine and kernel registry on the global object, so this copy registers with the bundle's).
node_modules/.bin/esbuild node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.node.js --bundle --platform=node --log-level=warning \
  --outfile="$pack/node_modules/@tensorflow/tfjs-backend-webgpu/index.js"
echo '{ "name": "@tensorflow/tfjs-backend-webgpu", "main": "index.js" }' > "$pack/node_modules/@tensorflow/tfjs-backend-webgpu/package.json"
for f in train.c test.c; do xz_to "$corpus/$f" "$pack/corpus/$f.xz"; done

# The Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan driver links against, downloaded once.
if ! ls "$pack"/debs/*.deb >/dev/null 2>&1; then
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists -oAPT::Sandbox::User=root"
  apt-get $o update >/dev/null
  (cd "$pack/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
  rm -rf "$lists"
fi

echo "$(git describe --always --dirty), packed $(date -u +%Y-%m-%dT%H:%MZ)" > "$pack/BUILT_FROM"
bytes=$(du -sb "$pack" | cut -f1)
echo "gpu-pack: $pack holds $((bytes / 1048576)) MiB ($(cat "$pack/BUILT_FROM"))"
[ "$bytes" -lt $((64 * 1048576)) ] || { echo "gpu-pack: over the 64 MiB the device tool carries" >&2; exit 1; }

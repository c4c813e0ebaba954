#!/usr/bin/env bash
# Tim on a real GPU, in one call, on an NVIDIA machine with a Vulkan driver and a CUDA build of
# PyTorch in its python3 but no Node and no network. Runs the webgpu test suite, then
# `bench compare --backend webgpu --torch-device cuda` for the three backbones (training and
# inference, 224 px, batch 32), and writes everything to a results folder.
#
# What the tree must carry (it stays under 64 MiB; `du -sh .` to check), in .gpu-carry/
# (git-ignored), filled on a machine with network access:
#   node-v20.*-linux-x64.tar.xz   Node, xz-compressed (about 24 MB):
#                                 curl -O https://nodejs.org/dist/v20.20.2/node-v20.20.2-linux-x64.tar.xz
#   libvulkan1_*.deb              the Vulkan loader, if the target has none:
#                                 apt-get download libvulkan1
#   node_modules.tar.xz           `npm ci` of this tree, xz-compressed, with the webgpu packages
#                                 (tar -cJf .gpu-carry/node_modules.tar.xz node_modules), unless
#                                 node_modules/ is carried as it is
#
# Usage: scripts/gpu-check.sh [RESULTS_DIR]      (default gpu-results/)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CARRY="$ROOT/.gpu-carry"
OUT=$(realpath -m "${1:-gpu-results}")
WORK="${TMPDIR:-/tmp}/tim-gpu-check"
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/gpu-check.log") 2>&1

step() { printf '\n== %s\n' "$*"; }

step "Node"
if ! command -v node >/dev/null; then
  archive=$(ls "$CARRY"/node-v*-linux-*.tar.xz 2>/dev/null | head -n1 || true)
  [ -n "$archive" ] || { echo "no node on PATH and no $CARRY/node-v*-linux-*.tar.xz"; exit 1; }
  tar -xJf "$archive" -C "$WORK"
  export PATH="$(ls -d "$WORK"/node-v*/bin | head -n1):$PATH"
fi
node --version

step "Vulkan loader"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  deb=$(ls "$CARRY"/libvulkan1_*.deb 2>/dev/null | head -n1 || true)
  [ -n "$deb" ] || { echo "no libvulkan.so.1 here and no $CARRY/libvulkan1_*.deb"; exit 1; }
  dpkg-deb -x "$deb" "$WORK/vulkan"
  # Read at process start: every Node started below inherits it.
  export LD_LIBRARY_PATH="$(dirname "$(find "$WORK/vulkan" -name 'libvulkan.so.1' | head -n1)")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# Containers often mount NVIDIA's driver under /usr/local/nvidia, outside the loader's search path.
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export VK_ICD_FILENAMES=$VK_DRIVER_FILES
fi

step "node_modules"
if [ ! -d node_modules/@tensorflow/tfjs ]; then
  [ -f "$CARRY/node_modules.tar.xz" ] || { echo "no node_modules/ and no $CARRY/node_modules.tar.xz"; exit 1; }
  tar -xJf "$CARRY/node_modules.tar.xz"
fi

step "doctor"
node bin/tim.js doctor | tee "$OUT/doctor.txt"
node bin/tim.js doctor --json > "$OUT/doctor.json"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
python3 -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())' > "$OUT/torch.txt" 2>&1 || true

status=0
step "webgpu test suite"
start=$(date +%s)
npx jest --selectProjects webgpu --runInBand 2>&1 | tee "$OUT/webgpu-suite.txt" || status=1
echo "webgpu suite: $(( $(date +%s) - start )) s" | tee -a "$OUT/timings.txt"

step "bench compare: webgpu against PyTorch on CUDA (TF32 off and on), 224 px, batch 32"
start=$(date +%s)
node bin/tim.js bench compare --backend webgpu --torch-device cuda --python python3 \
  --arch resnet50 efficientnet_b0 convnext_tiny --train-size 224 --infer-size 224 --batch 32 --steps 5 \
  --json > "$OUT/compare.json" || status=1
node -r tsx/cjs -e 'console.log(require("./bench/compare.ts").compareTable(require(process.argv[1])))' "$OUT/compare.json" > "$OUT/compare.md" || true
echo "bench compare: $(( $(date +%s) - start )) s" | tee -a "$OUT/timings.txt"
cat "$OUT/compare.md" 2>/dev/null || true

step "done: results in $OUT (exit $status)"
exit $status

# Tim on the CUDA route: @tensorflow/tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8 (libtensorflow
# 2.9.1), which current driver images no longer ship; this image brings them.
# NOT TESTED HERE: the machines Tim is developed on have no NVIDIA GPU and no network for the
# libtensorflow download that tfjs-node-gpu's install step makes. On current GPUs, the WebGPU
# route (--backend webgpu, any Vulkan driver) needs no CUDA at all; see docs/gpu.md.
#
#   docker build -t tim-cuda .
#   docker run --gpus all -v "$PWD/data:/app/data" -v "$PWD/checkpoints:/app/checkpoints" tim-cuda \
#     node bin/tim.js train --config convnext_tiny.yaml --backend gpu
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ca-certificates curl xz-utils \
 && curl -fsSL https://nodejs.org/dist/v20.20.2/node-v20.20.2-linux-x64.tar.xz | tar -xJ -C /usr/local --strip-components=1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
# The workspace package's manifest, so that npm ci links @tim/tfjs-training.
COPY packages/tfjs-training/package.json packages/tfjs-training/
# The install step of tfjs-node-gpu downloads libtensorflow (GPU build) into the package.
RUN npm ci --no-audit --no-fund && npm install --no-save @tensorflow/tfjs-node-gpu@4.22.0
COPY . .

# Tim sets TF_FORCE_GPU_ALLOW_GROWTH=true unless it is set; CUDA_VISIBLE_DEVICES is respected.
CMD ["node", "bin/tim.js", "doctor"]

#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (never part of the tests): the reference MLP in PyTorch on CUDA
# against this project's engines on the same machine, then the demo's timing table (a demo-sized AUNN trained and
# finetuned). ONNX Runtime uses the GPU only where its CUDA provider was installed
# (`npm install --onnxruntime-node-install=cuda12`); the script says which engine ran.
#
#   bash bench/gpu-check.sh 2>&1 | tee gpu-check.txt
set -uo pipefail
cd "$(dirname "$0")/.."
echo "== device"
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not found (no NVIDIA driver)"
ort_bin=$(node -e "const p=require('path');console.log(p.join(p.dirname(require.resolve('onnxruntime-node/package.json')),'bin','napi-v6',process.platform,process.arch))")
if [ -e "$ort_bin/libonnxruntime_providers_cuda.so" ]; then echo "onnxruntime CUDA provider: installed"; else echo "onnxruntime CUDA provider: not installed (ONNX Runtime runs on the CPU)"; fi
node -e "import('@tensorflow/tfjs-node-gpu').then(()=>console.log('tfjs-node-gpu: installed'),()=>console.log('tfjs-node-gpu: not installed'))"
echo "== PyTorch, reference MLP on CUDA (samples/s)"
"${PYTHON:-python3}" bench/torch_cpu.py cuda || echo "PyTorch on CUDA: unavailable"
echo "== this project, reference MLP (npm run bench -- --only mlp)"
npm run --silent bench -- --only mlp --json
echo "== demo timing (npm run demo -- --quick)"
/usr/bin/time -v npm run --silent demo -- --quick 2>&1 | grep -E "^\|| s$|Elapsed|Maximum resident" | tail -40

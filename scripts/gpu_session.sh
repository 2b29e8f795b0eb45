#!/usr/bin/env bash
# Everything the issues ask a GPU for, in one go (issue 14): run it on a lent GPU machine.
#
#   here:   bash scripts/gpu_session.sh --pack
#           (copies the Fashion-MNIST .gz files, ~30 MB, into .gpu_data/, which git ignores)
#   there:  the device tool's run, with command "bash scripts/gpu_session.sh",
#           carry [".gpu_data"] and timeout_s 540; what it writes under $OUT comes back.
#
# On the GPU machine it records nvidia-smi, runs benchmarks/fashion_speed.py --device cuda
# --record (switch table with torch.compile, validation sweep, the two goal runs) and copies
# results/fashion_speed_gpu.json and the log to $OUT. Copy that JSON into results/ here and
# re-run chapter 20. The machine has its own torch (python3); cnnlib runs from the checkout.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--pack" ]]; then
    source=""
    for dir in "${CNNLIB_DATA:-data}/FashionMNIST/raw" data/FashionMNIST/raw \
               /usr/share/datasets/fashion-mnist; do
        [[ -f "$dir/train-images-idx3-ubyte.gz" ]] && { source="$dir"; break; }
    done
    mkdir -p .gpu_data/FashionMNIST/raw
    cp "$source"/*.gz .gpu_data/FashionMNIST/raw/ || { echo "no Fashion-MNIST .gz in $source"; exit 1; }
    grep -qx '/.gpu_data/' .git/info/exclude 2>/dev/null || echo '/.gpu_data/' >> .git/info/exclude
    du -sh .gpu_data
    exit 0
fi

OUT="${OUT:-gpu_out}"
mkdir -p "$OUT"
export CNNLIB_DATA="$PWD/.gpu_data" CNNLIB_OFFLINE=1 PYTHONUNBUFFERED=1 PYTHONPATH="$PWD"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$OUT/torch.txt"
python3 benchmarks/fashion_speed.py --device cuda --record 2>&1 | tee "$OUT/fashion_speed_gpu.log"
status=$?
cp results/fashion_speed_gpu.json "$OUT/" 2>/dev/null
exit $status

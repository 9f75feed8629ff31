#!/usr/bin/env bash
# Re-make, on a fresh checkout, everything a GPU session carries (docs/gpu_sessions.md):
#
#   .carry/piper_joe          the piper FEATDIR (train + val), for gpu_session.py / voice_session.py
#   .carry/piper_joe_learned  the learned aligner's durations over the same audio, no mels
#                             (gpu_session.py --learned; issue #5)
#   .carry/vocoder_gta        14 minutes of audio + GTA mels of the bundled voice (issue #6)
#
# data/, runs/ and .carry/ are not in git, so a new checkout has none of them. The corpus is
# built with one worker, which makes it the same on every build (piper's sampling noise is
# seeded per process), so the committed learned durations fit its mels. About 22 minutes on
# the 2-core CPU (19 of them the corpus); steps whose output exists are skipped.
#
# usage: scripts/device/prepare_carry.sh [piper_joe] [piper_joe_learned] [vocoder_gta]
#        (no argument: all three)
set -euo pipefail
cd "$(dirname "$0")/../.."
FASTSPEAK=${FASTSPEAK:-.venv/bin/fastspeak}
PY=${PY:-.venv/bin/python}
CORPUS=data/corpora/piper_joe
FEATURES=data/features/piper_joe
LEARNED_DURATIONS=docs/evaluations/data/aligner_piper/durations_transitions_10k.jsonl.gz
packs=("$@")
[ ${#packs[@]} -gt 0 ] || packs=(piper_joe piper_joe_learned vocoder_gta)

[ -x "$FASTSPEAK" ] || make install
mkdir -p .carry
grep -qx '.carry/' .git/info/exclude 2>/dev/null || echo '.carry/' >> .git/info/exclude

if [ ! -f "$CORPUS/report.json" ]; then
  "$FASTSPEAK" corpus teacher --engine piper --num-sentences 2000 --held-out 250 --workers 1 \
    --out "$CORPUS"
fi
if [ ! -f "$FEATURES/report.json" ]; then
  "$FASTSPEAK" preprocess --config configs/piper_joe/fastspeech2.yaml --data "$CORPUS" \
    --out "$FEATURES"
fi

for pack in "${packs[@]}"; do
  case "$pack" in
    piper_joe)
      rm -rf .carry/piper_joe
      "$PY" scripts/device/featdir_pack.py pack "$FEATURES" .carry/piper_joe --splits train val
      ;;
    piper_joe_learned)
      mkdir -p runs/carry
      gunzip -c "$LEARNED_DURATIONS" > runs/carry/learned_durations.jsonl
      if [ ! -f data/features/piper_joe_learned/report.json ] ||
        [ "$LEARNED_DURATIONS" -nt data/features/piper_joe_learned/report.json ]; then
        "$FASTSPEAK" preprocess --config configs/piper_joe/fastspeech2_small_cpu.yaml \
          --data "$CORPUS" --durations runs/carry/learned_durations.jsonl \
          --out data/features/piper_joe_learned
      fi
      rm -rf .carry/piper_joe_learned
      "$PY" scripts/device/featdir_pack.py pack data/features/piper_joe_learned \
        .carry/piper_joe_learned --splits train val --no-mels
      ;;
    vocoder_gta)
      if [ ! -d data/gta/voice ]; then
        "$FASTSPEAK" gta --checkpoint src/fastspeak/voices/default --data "$FEATURES" \
          --out data/gta/voice
      fi
      rm -rf .carry/vocoder_gta
      "$PY" scripts/device/vocoder_pack.py pack "$FEATURES" .carry/vocoder_gta \
        --gta data/gta/voice --minutes 14
      ;;
    *)
      echo "unknown pack '$pack': expected piper_joe, piper_joe_learned or vocoder_gta" >&2
      exit 2
      ;;
  esac
done
du -sh .carry/* 2>/dev/null

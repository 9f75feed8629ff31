"""Bundled voice: predicted MOS / WER of its Griffin-Lim with magnitude power p (60 test sentences)."""
import json, sys
import numpy as np
from fastspeak.synthesis import Synthesizer
from fastspeak.evaluate.mos import MosPredictor
from fastspeak.evaluate.asr import Transcriber, word_error_rate, normalize_transcript
from fastspeak.evaluate.checkpoint import load_items

items = load_items('data/features/piper_joe/test.jsonl', limit=int(sys.argv[1]))
texts = [item['text'] for item in items]
mos, asr = MosPredictor(), Transcriber()
for setting in sys.argv[2:]:
    power, n_iter = (float(x) for x in setting.split('/'))
    synth = Synthesizer.from_checkpoint(None, vocoder='griffinlim', vocoder_options={'power': power, 'n_iter': int(n_iter)})
    wavs, rate = [], None
    for text in texts:
        wav, rate = synth.synth(text)
        wavs.append(wav)
    scores = mos.predict_batch(wavs, rate)
    hyps = [asr.transcribe(w, rate) for w in wavs]
    wer = word_error_rate([normalize_transcript(t) for t in texts], hyps)
    print(json.dumps({'power': power, 'n_iter': n_iter, 'mos': round(float(np.mean(scores)), 3), 'mos_std': round(float(np.std(scores)), 3), 'wer': wer}), flush=True)
